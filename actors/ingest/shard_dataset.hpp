// A dataset stored as a directory of Cap'n Proto shard files plus a manifest — the layout of
// one disk-cache entry (docs/formats/ingest-cache.md), so a cache entry can be copied elsewhere
// and used as a dataset of its own. The samples are already preprocessed: load() refuses a
// preprocessing record other than the one the manifest names. load_files() reads a subset of
// one split's shard files, for file-based sharding. Immutable; thread-safe.
#pragma once

#include "actors/ingest/cache_codec.hpp"
#include "actors/ingest/dataset.hpp"

namespace dmlp::ingest {

/// Name of the manifest file inside a shard directory.
constexpr const char* manifest_file_name = "manifest.dmlp";

/// A directory of shard files.
class shard_dataset : public dataset {
public:
  /// Reads from `directory`.
  explicit shard_dataset(std::string directory);

  /// "shards".
  std::string name() const override;
  /// The manifest and every shard file it lists (empty when the manifest is unreadable).
  std::vector<std::string> files() const override;
  caf::expected<std::string> content_digest() const override;
  caf::expected<dataset_content> load(const preprocessing& transform) const override;

  /// Reads and verifies the manifest.
  caf::expected<cache_manifest> manifest() const;

  /// Reads the shard files `file_names` (relative names as the manifest lists them) of split
  /// `split` and concatenates their samples in the given order. Every shard must carry the
  /// manifest's key and split.
  caf::expected<sample_set> load_files(const cache_manifest& manifest, const std::string& split,
                                       const std::vector<std::string>& file_names) const;

private:
  std::string directory_;
};

} // namespace dmlp::ingest
