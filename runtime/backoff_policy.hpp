// Exponential back-off with jitter for restarts: the k-th consecutive failure of a child waits
// min × 2^(k-1), capped at max, scaled down by up to `jitter` so that children that failed
// together do not restart in lock step. A child that stayed up for `reset_after` starts over
// at k = 1. Plain class; the caller owns the random generator (seeded for reproducible tests).
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace dmlp::runtime {

/// Back-off settings of one supervisor.
struct backoff_options {
  /// Delay before the first restart of a child. Default: 10 ms; 0 restarts at once.
  std::chrono::milliseconds min = std::chrono::milliseconds{10};
  /// Upper bound of the delay. Default: 2 s.
  std::chrono::milliseconds max = std::chrono::seconds{2};
  /// Largest fraction removed at random from a delay, in [0, 1]. Default: 0.2.
  double jitter = 0.2;
  /// Uptime after which a child's failure count starts over. Default: 10 s.
  std::chrono::milliseconds reset_after = std::chrono::seconds{10};
};

/// Computes restart delays.
class backoff_policy {
public:
  backoff_policy(backoff_options options, uint64_t seed) : options_(options), rng_(seed) {}

  /// Delay before restarting a child after its `consecutive_failures`-th failure in a row (≥ 1).
  std::chrono::milliseconds delay(uint32_t consecutive_failures);

  /// Whether a child that ran for `uptime` counts as having recovered.
  bool recovered(std::chrono::steady_clock::duration uptime) const {
    return uptime >= options_.reset_after;
  }

  /// The settings in force.
  const backoff_options& options() const { return options_; }

private:
  backoff_options options_;
  std::mt19937_64 rng_;
};

} // namespace dmlp::runtime
