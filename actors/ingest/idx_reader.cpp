#include "actors/ingest/idx_reader.hpp"

#include <cstdio>

#include <zlib.h>

#include "actors/ingest/detail/file_reader.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

namespace {

caf::error fail(ingest_errc code, const std::string& path, const std::string& what) {
  return caf::make_error(code, path + ": " + what);
}

uint32_t get_be32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}

} // namespace

caf::expected<std::vector<uint8_t>> gunzip(const std::vector<uint8_t>& compressed,
                                           const std::string& path) {
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip header and trailer (CRC-32 and length are checked by zlib).
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    return fail(ingest_errc::corrupt_gzip, path, "zlib could not start inflating");
  std::vector<uint8_t> out;
  // The trailer's ISIZE is the uncompressed length modulo 2^32: a good first guess.
  if (compressed.size() >= 18) {
    auto tail = compressed.data() + compressed.size() - 4;
    out.reserve(uint32_t{tail[0]} | (uint32_t{tail[1]} << 8) | (uint32_t{tail[2]} << 16) |
                (uint32_t{tail[3]} << 24));
  }
  stream.next_in = const_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  uint8_t chunk[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = chunk;
    stream.avail_out = sizeof(chunk);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - stream.avail_out));
    if (rc == Z_BUF_ERROR && stream.avail_in == 0)
      break;
  }
  std::string message = stream.msg ? stream.msg : "";
  auto consumed = stream.total_in;
  inflateEnd(&stream);
  if (rc == Z_STREAM_END) {
    if (consumed != compressed.size())
      return fail(ingest_errc::corrupt_gzip, path,
                  "gzip stream ends after " + std::to_string(consumed) + " of " +
                      std::to_string(compressed.size()) + " bytes (trailing data)");
    return out;
  }
  if (rc == Z_BUF_ERROR || rc == Z_OK)
    return fail(ingest_errc::corrupt_gzip, path,
                "truncated gzip stream (input ends after " + std::to_string(compressed.size()) +
                    " bytes, before the end of the compressed data)");
  return fail(ingest_errc::corrupt_gzip, path,
              "corrupt gzip stream" + (message.empty() ? "" : " (" + message + ")"));
}

caf::expected<std::vector<uint8_t>> read_maybe_gzip(const std::string& path) {
  auto bytes = detail::read_whole_file(path);
  if (!bytes)
    return bytes.error();
  if (bytes->size() >= 2 && (*bytes)[0] == 0x1f && (*bytes)[1] == 0x8b)
    return gunzip(*bytes, path);
  return std::move(*bytes);
}

caf::expected<idx_array> parse_idx(const std::vector<uint8_t>& bytes, uint8_t rank,
                                   const std::string& path) {
  if (bytes.size() < 4)
    return fail(ingest_errc::short_data, path,
                "only " + std::to_string(bytes.size()) + " bytes, less than the IDX magic");
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 || bytes[3] != rank) {
    char found[16];
    std::snprintf(found, sizeof(found), "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    char wanted[16];
    std::snprintf(wanted, sizeof(wanted), "000008%02x", rank);
    return fail(ingest_errc::bad_magic, path,
                std::string("magic 0x") + found + ", expected 0x" + wanted +
                    " (unsigned bytes, rank " + std::to_string(rank) + ")");
  }
  size_t header = 4 + 4 * size_t{rank};
  if (bytes.size() < header)
    return fail(ingest_errc::short_data, path,
                "header needs " + std::to_string(header) + " bytes, file has " +
                    std::to_string(bytes.size()));
  idx_array result;
  uint64_t expected = 1;
  std::string shape;
  for (size_t i = 0; i < rank; ++i) {
    auto dim = get_be32(bytes.data() + 4 + 4 * i);
    if (dim == 0 || dim > (1u << 28))
      return fail(ingest_errc::bad_dimensions, path,
                  "dimension " + std::to_string(i) + " is " + std::to_string(dim));
    result.dims.push_back(dim);
    expected *= dim;
    if (expected > (uint64_t{1} << 36))
      return fail(ingest_errc::bad_dimensions, path, "dimensions describe more than 64 GiB");
    shape += (i ? "x" : "") + std::to_string(dim);
  }
  auto available = bytes.size() - header;
  if (available != expected)
    return fail(ingest_errc::short_data, path,
                "header announces " + shape + " = " + std::to_string(expected) +
                    " data bytes, file has " + std::to_string(available));
  result.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return result;
}

caf::expected<idx_array> read_idx_file(const std::string& path, uint8_t rank) {
  auto bytes = read_maybe_gzip(path);
  if (!bytes)
    return bytes.error();
  return parse_idx(*bytes, rank, path);
}

caf::expected<idx_split> read_idx_split(const std::string& images_path,
                                        const std::string& labels_path, uint32_t classes) {
  auto images = read_idx_file(images_path, 3);
  if (!images)
    return images.error();
  auto labels = read_idx_file(labels_path, 1);
  if (!labels)
    return labels.error();
  if (images->dims[0] != labels->dims[0])
    return fail(ingest_errc::count_mismatch, labels_path,
                std::to_string(labels->dims[0]) + " labels for " + std::to_string(images->dims[0]) +
                    " images in " + images_path);
  for (size_t i = 0; i < labels->data.size(); ++i)
    if (labels->data[i] >= classes)
      return fail(ingest_errc::bad_label, labels_path,
                  "label " + std::to_string(labels->data[i]) + " of item " + std::to_string(i) +
                      " is not below " + std::to_string(classes));
  idx_split split;
  split.count = images->dims[0];
  split.height = images->dims[1];
  split.width = images->dims[2];
  split.pixels = std::move(images->data);
  split.labels = std::move(labels->data);
  return split;
}

} // namespace dmlp::ingest
