#include "messages/checked_file.hpp"

#include <cstring>

#include <zlib.h>

#include "messages/errors.hpp"

namespace dmlp {

namespace {

template <class T> void put_le(std::vector<uint8_t>& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<uint8_t>((static_cast<uint64_t>(value) >> (8 * i)) & 0xFF));
}

template <class T> T get_le(const uint8_t* in) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return static_cast<T>(value);
}

} // namespace

file_magic make_magic(const char (&text)[9]) {
  file_magic magic;
  std::memcpy(magic.data(), text, 8);
  return magic;
}

uint32_t crc32_of(const uint8_t* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large bodies in pieces.
  while (size > 0) {
    auto piece = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

uint64_t checked_body_length(const uint8_t* header) {
  return get_le<uint64_t>(header + 12);
}

std::vector<uint8_t> frame_checked(const file_magic& magic, uint32_t version,
                                   const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  out.reserve(checked_file_header_size + body.size());
  out.insert(out.end(), magic.begin(), magic.end());
  put_le<uint32_t>(out, version);
  put_le<uint64_t>(out, body.size());
  put_le<uint32_t>(out, crc32_of(body.data(), body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

caf::expected<std::vector<uint8_t>> unframe_checked(const file_magic& magic, uint32_t version,
                                                    const std::vector<uint8_t>& file,
                                                    uint64_t max_body) {
  if (file.size() < checked_file_header_size)
    return caf::make_error(codec_errc::truncated, "file has " + std::to_string(file.size()) +
                                                      " bytes, less than a header");
  if (std::memcmp(file.data(), magic.data(), magic.size()) != 0)
    return caf::make_error(codec_errc::bad_magic,
                           "expected magic " + std::string(magic.begin(), magic.end()));
  auto found_version = get_le<uint32_t>(file.data() + 8);
  if (found_version != version)
    return caf::make_error(codec_errc::unsupported_version,
                           "format version " + std::to_string(found_version) +
                               ", this build reads " + std::to_string(version));
  auto length = checked_body_length(file.data());
  auto expected_crc = get_le<uint32_t>(file.data() + 20);
  if (length > max_body)
    return caf::make_error(codec_errc::oversized,
                           "body of " + std::to_string(length) + " bytes exceeds the limit");
  if (file.size() - checked_file_header_size != length)
    return caf::make_error(codec_errc::truncated,
                           "header announces " + std::to_string(length) + " body bytes, file has " +
                               std::to_string(file.size() - checked_file_header_size));
  const uint8_t* body = file.data() + checked_file_header_size;
  if (crc32_of(body, length) != expected_crc)
    return caf::make_error(codec_errc::checksum_mismatch, "body checksum does not match header");
  return std::vector<uint8_t>(body, body + length);
}

} // namespace dmlp
