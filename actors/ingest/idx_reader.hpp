// Reader of the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed, decoded with
// zlib). Validation is strict: the gzip stream must be complete and intact, the magic must name
// unsigned bytes and the rank the caller expects, every dimension must be positive, the data
// must be exactly as long as the header announces, and an image file and its label file must
// agree on the item count. Each failure is an ingest_errc whose context starts with the file's
// path and says what is wrong. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dmlp::ingest {

/// One IDX file's content: its dimensions and its unsigned-byte items.
struct idx_array {
  /// Extent of each dimension; dims[0] is the item count.
  std::vector<uint32_t> dims;
  /// Row-major item bytes, the product of dims long.
  std::vector<uint8_t> data;
};

/// Images and labels of one split, checked against each other.
struct idx_split {
  /// Number of items (images = labels).
  uint64_t count = 0;
  /// Image rows.
  uint32_t height = 0;
  /// Image columns.
  uint32_t width = 0;
  /// count × height × width pixel bytes.
  std::vector<uint8_t> pixels;
  /// count labels.
  std::vector<uint8_t> labels;
};

/// Reads a whole file and inflates it when it starts with the gzip magic (1f 8b).
caf::expected<std::vector<uint8_t>> read_maybe_gzip(const std::string& path);

/// Inflates a complete gzip stream; `path` names the source in errors.
caf::expected<std::vector<uint8_t>> gunzip(const std::vector<uint8_t>& compressed,
                                           const std::string& path);

/// Parses IDX bytes whose rank must be `rank` (1 for labels, 3 for images).
caf::expected<idx_array> parse_idx(const std::vector<uint8_t>& bytes, uint8_t rank,
                                   const std::string& path);

/// read_maybe_gzip() + parse_idx().
caf::expected<idx_array> read_idx_file(const std::string& path, uint8_t rank);

/// Reads an image file and a label file and checks that they describe one split with labels
/// below `classes`.
caf::expected<idx_split> read_idx_split(const std::string& images_path,
                                        const std::string& labels_path, uint32_t classes);

} // namespace dmlp::ingest
