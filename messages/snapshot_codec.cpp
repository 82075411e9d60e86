#include "messages/snapshot_codec.hpp"

#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "messages/checked_file.hpp"
#include "messages/errors.hpp"
#include "snapshot.capnp.h"

namespace dmlp {

namespace {

const file_magic snapshot_magic = make_magic("DMLPSNAP");

} // namespace

std::vector<uint8_t> encode_snapshot_file(const snapshot_record& record) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<Snapshot>();
  root.setFormatVersion(static_cast<uint16_t>(snapshot_format_version));
  root.setKey(record.key);
  root.setSequence(record.sequence);
  root.setPayload(kj::ArrayPtr<const kj::byte>(record.payload.data(), record.payload.size()));
  auto flat = capnp::messageToFlatArray(message);
  auto bytes = flat.asBytes();
  return frame_checked(snapshot_magic, snapshot_format_version,
                       std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

caf::expected<snapshot_record> decode_snapshot_file(const std::vector<uint8_t>& file) {
  auto body = unframe_checked(snapshot_magic, snapshot_format_version, file);
  if (!body)
    return body.error();
  if (body->empty() || body->size() % sizeof(capnp::word) != 0)
    return caf::make_error(codec_errc::malformed, "snapshot body is not a whole number of words");
  auto words = kj::heapArray<capnp::word>(body->size() / sizeof(capnp::word));
  std::memcpy(words.begin(), body->data(), body->size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = words.size() + 1024;
    capnp::FlatArrayMessageReader reader(words.asPtr(), options);
    auto root = reader.getRoot<Snapshot>();
    snapshot_record record;
    record.key = root.getKey();
    record.sequence = root.getSequence();
    auto payload = root.getPayload();
    record.payload.assign(payload.begin(), payload.end());
    return record;
  } catch (const kj::Exception& e) {
    return caf::make_error(codec_errc::malformed, std::string(e.getDescription().cStr()));
  }
}

} // namespace dmlp
