// Thins runtime samples to the configured sampling interval: of the samples of one execution,
// kind and name, a sample is kept when it is at least `interval` after the last kept one, so a
// trainer that reports its step latency every 5 ms costs one row per second. The first and
// every progress sample at 100% are always kept. Plain class owned by the metadata actor;
// time comes from the samples. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "messages/metadata.hpp"

namespace dmlp::metadata {

/// Decides which samples to keep.
class sample_throttle {
public:
  explicit sample_throttle(std::chrono::milliseconds interval) : interval_(interval) {}

  /// Whether to store `sample`; remembers it when kept.
  bool admit(const md_sample& sample);

  /// Forgets the state of an execution that ended.
  void forget(int64_t execution_id);

  /// Number of (execution, kind, name) series tracked.
  size_t tracked() const { return last_.size(); }

private:
  std::chrono::milliseconds interval_;
  std::map<std::tuple<int64_t, std::string, std::string>, int64_t> last_;
};

} // namespace dmlp::metadata
