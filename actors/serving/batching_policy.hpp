// Dynamic batching as a plain policy (no actor inside): a replica tells it when requests
// arrive and asks it when to run a batch and how many queued requests to take. Requests are
// never split; a batch takes whole requests in arrival order. A batch is flushed
//   full       as soon as the queued samples reach max_batch (or one request alone exceeds it),
//   preferred  as soon as the queued samples can form one of the preferred sizes exactly
//              (the largest such size wins; like Triton's preferred_batch_size),
//   timeout    when the oldest queued request has waited max_delay.
// With max_delay 0 every arrival is flushed at once (batching off when max_batch is 1, too).
// Time comes from the caller (steady-clock time points), so tests are exact. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace dmlp::serving {

/// Options of the dynamic batcher (YAML: serving.batching.*).
struct batching_options {
  /// Largest number of samples in one batch. Default: 32.
  uint32_t max_batch = 32;
  /// Longest time the oldest request waits for company, in µs. Default: 2000.
  uint32_t max_delay_us = 2000;
  /// Batch sizes to flush at once when reachable, e.g. {8, 16}. Default: none.
  std::vector<uint32_t> preferred_sizes;
};

/// Why a batch was flushed.
enum class flush_reason : uint8_t { full, preferred, timeout };

/// "full", "preferred" or "timeout".
std::string to_string(flush_reason reason);

/// The batcher's decision: take the `requests` oldest queued requests (`samples` in all).
struct batch_decision {
  /// Number of queued requests to take, from the front.
  size_t requests = 0;
  /// Their samples.
  size_t samples = 0;
  /// Why now.
  flush_reason reason = flush_reason::timeout;
  /// How long the oldest of them waited.
  std::chrono::nanoseconds oldest_wait{0};
};

/// Decides when queued requests become a batch.
class batching_policy {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit batching_policy(batching_options options);

  /// Records a request of `samples` samples arriving at `now`.
  void enqueue(time_point now, size_t samples);

  /// The batch to run now, if any; the policy forgets the requests it hands out.
  std::optional<batch_decision> poll(time_point now);

  /// When poll() will next return a batch without further arrivals; empty when idle.
  std::optional<time_point> deadline() const;

  /// Requests queued.
  size_t queued_requests() const { return queue_.size(); }

  /// Samples queued.
  size_t queued_samples() const { return queued_samples_; }

  /// The options in force.
  const batching_options& options() const { return options_; }

private:
  struct entry {
    time_point arrived;
    size_t samples;
  };
  batch_decision take(size_t requests, flush_reason reason, time_point now);

  batching_options options_;
  std::deque<entry> queue_;
  size_t queued_samples_ = 0;
};

} // namespace dmlp::serving
