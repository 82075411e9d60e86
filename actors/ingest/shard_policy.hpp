// Sharding decisions of the ingest role, as plain classes with no actor inside:
//   - index_shard_policy splits items (sample indices, or the batch ids of an epoch) among
//     consumers, contiguously (consumer k gets the k-th run) or strided (item i goes to
//     consumer i mod n) — tf.data's DATA auto-shard policy;
//   - file_shard_policy splits a source's files among consumers (tf.data's FILE policy);
//   - epoch_permutation() is the per-epoch shuffle: a permutation of [0, n) determined by the
//     caller's seed and the epoch number alone, identical on every platform (its generator is
//     splitmix64 with an explicit Fisher–Yates), so a restarted coordinator recomputes exactly
//     the order it was serving.
// Pure and deterministic; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dmlp::ingest {

/// How index sharding lays items out over consumers.
enum class shard_mode : uint8_t {
  /// Consumer k gets one contiguous run of the items.
  contiguous = 0,
  /// Item i goes to consumer i mod n.
  strided = 1,
};

/// "contiguous" or "strided".
std::string to_string(shard_mode mode);

/// Parses "contiguous" or "strided".
caf::expected<shard_mode> parse_shard_mode(const std::string& text);

/// Splits item lists among consumers.
class index_shard_policy {
public:
  explicit index_shard_policy(shard_mode mode) : mode_(mode) {}

  /// Splits `items` (kept in their order within each part) into `parts` lists whose sizes
  /// differ by at most one; `parts` must be positive.
  std::vector<std::vector<uint64_t>> split(const std::vector<uint64_t>& items, size_t parts) const;

  /// The sample indices of shard `shard` of `parts` over [0, n).
  std::vector<uint64_t> shard_of(uint64_t n, size_t shard, size_t parts) const;

  /// The mode.
  shard_mode mode() const { return mode_; }

private:
  shard_mode mode_;
};

/// Splits a source's files among consumers.
class file_shard_policy {
public:
  /// Assigns `files` round-robin (file i to consumer i mod parts). Fails with
  /// ingest_errc::unshardable when there are fewer files than consumers, since some consumer
  /// would get nothing (use index sharding then).
  caf::expected<std::vector<std::vector<std::string>>> split(const std::vector<std::string>& files,
                                                             size_t parts) const;
};

/// The shuffle of epoch `epoch`: a permutation of [0, n) from `seed` and `epoch`.
std::vector<uint64_t> epoch_permutation(uint64_t n, uint64_t seed, uint64_t epoch);

} // namespace dmlp::ingest
