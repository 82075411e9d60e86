// Codec of the ingest cache's files (messages/ingest_cache.capnp inside checked_file frames):
// shard files ("DMLPSHRD": one contiguous run of preprocessed samples of one split) and the
// manifest ("DMLPMANI": the list of shard files of one cache entry). Decoding verifies the frame
// (magic, version, length, CRC-32) and then every field against the others, and reports any
// problem as ingest_errc::cache_corrupt naming the file. Specified in
// docs/formats/ingest-cache.md. Pure functions; thread-safe. Pixels are stored little-endian,
// which is the host order on every platform dmlp builds for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/ingest/sample_set.hpp"
#include "messages/preprocessing.hpp"

namespace dmlp::ingest {

/// Version of the shard and manifest formats this build writes and reads.
constexpr uint32_t cache_format_version = 1;

/// One shard file's content.
struct cache_shard {
  /// The cache key of the entry the shard belongs to.
  std::string cache_key;
  /// "train" or "test".
  std::string split;
  /// Position of this shard among the split's shards.
  uint32_t index = 0;
  /// Number of shards of the split.
  uint32_t count = 1;
  /// Index of the shard's first sample within the split.
  uint64_t first_sample = 0;
  /// The shard's samples.
  sample_set samples;
};

/// One split as a manifest lists it.
struct manifest_split {
  /// "train" or "test".
  std::string name;
  /// Samples in the split.
  uint64_t samples = 0;
  /// Shard file names, relative to the entry directory, in sample order.
  std::vector<std::string> files;
};

/// The manifest of one cache entry.
struct cache_manifest {
  /// The entry's content key.
  std::string cache_key;
  /// Name of the dataset the entry was built from.
  std::string dataset;
  /// The preprocessing the samples went through.
  preprocessing transform;
  /// The splits, train first.
  std::vector<manifest_split> splits;
  /// When the entry was written, nanoseconds since the epoch.
  int64_t created_ns = 0;
};

/// Returns the complete shard file for `shard`.
std::vector<uint8_t> encode_shard_file(const cache_shard& shard);

/// Parses and verifies a shard file; `path` names it in errors.
caf::expected<cache_shard> decode_shard_file(const std::vector<uint8_t>& file,
                                             const std::string& path);

/// Like decode_shard_file(), but appends the shard's pixels and labels to `into` (whose shape
/// fields are set from the first shard and must match for later ones) instead of allocating
/// them per shard; the returned shard's `samples` carries the count and shape only.
caf::expected<cache_shard> decode_shard_file_into(const std::vector<uint8_t>& file,
                                                  const std::string& path, sample_set& into);

/// Returns the complete manifest file.
std::vector<uint8_t> encode_manifest_file(const cache_manifest& manifest);

/// Parses and verifies a manifest file; `path` names it in errors.
caf::expected<cache_manifest> decode_manifest_file(const std::vector<uint8_t>& file,
                                                   const std::string& path);

} // namespace dmlp::ingest
