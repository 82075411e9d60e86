// The on-disk cache of preprocessed datasets. An entry lives in <directory>/<key>/ as a
// manifest plus N Cap'n Proto shard files per split (docs/formats/ingest-cache.md). The key is
// a SHA-256 over the dataset's content digest (the bytes of its source files), the preprocessing
// record and the shard layout, so a changed source or transform lands in a new entry. load()
// reads an intact entry ("hit"), builds a missing one from the source ("miss"), and rebuilds an
// entry whose manifest or any shard is truncated or corrupted ("rebuilt", with the problem in
// `note`). Every file is written to a temp file and renamed; the manifest is written last, so
// an entry without a manifest is incomplete and is never read.
// One disk_cache value per caller; concurrent load() calls of one key from several processes
// are safe (each write is an atomic rename of identical content), but not coordinated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/ingest/dataset.hpp"

namespace dmlp::ingest {

/// How load() obtained the samples.
enum class cache_outcome : uint8_t {
  /// No entry existed: built from the source.
  miss,
  /// Read from an intact entry.
  hit,
  /// The entry was corrupt: reported and rebuilt from the source.
  rebuilt,
};

/// "miss", "hit" or "rebuilt".
std::string to_string(cache_outcome outcome);

/// Options of the disk cache (configs: `ingest.cache`).
struct cache_options {
  /// Root directory of all entries; empty means default_cache_dir(). Default: empty.
  std::string directory;
  /// Shard files per split (each a contiguous run of samples). Default: 4.
  uint32_t shards = 4;
};

/// $DMLP_HOME/cache/ingest when DMLP_HOME is set, else $XDG_CACHE_HOME/dmlp/ingest, else
/// $HOME/.cache/dmlp/ingest, else ./.dmlp-cache/ingest.
std::string default_cache_dir();

/// What load() returns.
struct cache_result {
  /// The samples, shared read-only.
  std::shared_ptr<const dataset_content> content;
  /// Hit, miss or rebuilt.
  cache_outcome outcome = cache_outcome::miss;
  /// The content key (64 hex characters).
  std::string key;
  /// The entry's directory.
  std::string entry_dir;
  /// Why the entry was rebuilt; empty otherwise.
  std::string note;
};

/// Reads and writes cache entries under one directory.
class disk_cache {
public:
  explicit disk_cache(cache_options options);

  /// The content key of `source` preprocessed by `transform` under this cache's layout.
  caf::expected<std::string> key_of(const dataset& source, const preprocessing& transform) const;

  /// Returns the samples of `source`, from the cache when possible (see the header comment).
  caf::expected<cache_result> load(const dataset& source, const preprocessing& transform) const;

  /// The directory of the entry with `key`.
  std::string entry_dir(const std::string& key) const;

  /// The resolved options.
  const cache_options& options() const { return options_; }

private:
  caf::error write_entry(const std::string& key, const dataset& source,
                         const preprocessing& transform, const dataset_content& content) const;

  cache_options options_;
};

} // namespace dmlp::ingest
