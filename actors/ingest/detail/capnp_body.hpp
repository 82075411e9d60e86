// Internal to actors/ingest codecs: turning a Cap'n Proto message into a checked-file body and
// reading a body back without letting a Cap'n Proto exception escape. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "messages/errors.hpp"

namespace dmlp::ingest::detail {

/// The flat (unpacked) serialization of `message`.
inline std::vector<uint8_t> flatten(capnp::MessageBuilder& message) {
  auto flat = capnp::messageToFlatArray(message);
  auto bytes = flat.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

/// Runs `visit` on a reader of `body`; a malformed body or an exception thrown while visiting
/// becomes codec_errc::malformed.
inline caf::error read_body(const std::vector<uint8_t>& body,
                            const std::function<caf::error(capnp::MessageReader&)>& visit) {
  if (body.empty() || body.size() % sizeof(capnp::word) != 0)
    return caf::make_error(codec_errc::malformed, "body is not a whole number of words");
  kj::Array<capnp::word> copy;
  kj::ArrayPtr<const capnp::word> words;
  if (reinterpret_cast<uintptr_t>(body.data()) % alignof(capnp::word) == 0) {
    words = kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(body.data()),
                                            body.size() / sizeof(capnp::word));
  } else {
    copy = kj::heapArray<capnp::word>(body.size() / sizeof(capnp::word));
    std::memcpy(copy.begin(), body.data(), body.size());
    words = copy.asPtr();
  }
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = words.size() + 1024;
    capnp::FlatArrayMessageReader reader(words, options);
    return visit(reader);
  } catch (const kj::Exception& e) {
    return caf::make_error(codec_errc::malformed, std::string(e.getDescription().cStr()));
  }
}

} // namespace dmlp::ingest::detail
