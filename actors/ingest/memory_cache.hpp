// The in-memory cache of decoded, preprocessed datasets, keyed by the disk cache's content key.
// Entries are shared read-only (shared_ptr<const dataset_content>), so the coordinator's
// restarted instances and several jobs on one node reuse one copy instead of reloading.
// Bounded by a byte budget; the least recently used entries are dropped first (an entry still
// held by a user stays alive until its last holder lets go). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include <caf/expected.hpp>

#include "actors/ingest/sample_set.hpp"

namespace dmlp::ingest {

/// LRU cache of datasets by content key.
class memory_cache {
public:
  /// Holds at most `capacity_bytes` of samples. Default: 2 GiB.
  explicit memory_cache(uint64_t capacity_bytes = uint64_t{2} << 30);

  /// The entry under `key`, or null.
  std::shared_ptr<const dataset_content> get(const std::string& key);

  /// Stores `content` under `key` (replacing an older one) and evicts to fit the budget. An
  /// entry larger than the whole budget is not stored.
  void put(const std::string& key, std::shared_ptr<const dataset_content> content);

  /// get(), or `load()` on a miss followed by put(). Loads run outside the lock.
  caf::expected<std::shared_ptr<const dataset_content>>
  get_or_load(const std::string& key,
              const std::function<caf::expected<std::shared_ptr<const dataset_content>>()>& load);

  /// Bytes of samples currently held.
  uint64_t bytes() const;

  /// Number of entries currently held.
  size_t size() const;

private:
  struct entry {
    std::string key;
    std::shared_ptr<const dataset_content> content;
    uint64_t bytes = 0;
  };

  uint64_t capacity_;
  mutable std::mutex mtx_;
  std::list<entry> entries_;
  uint64_t bytes_ = 0;
};

} // namespace dmlp::ingest
