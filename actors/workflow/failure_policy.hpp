// Decides what a step failure means and whether to retry it, with no actor inside. A failure
// is transient (worth a retry) or permanent, judged from the step's error and its runtime
// metadata, as the book describes: out of memory → transient, retried with twice the memory;
// data gone, bad parameters, corrupt input → permanent; timeouts, unavailable services,
// crashed step actors → transient. A generic failure whose memory samples reached 90% of the
// step's limit counts as out of memory. Retries follow the step's retry_spec: `always` retries
// any failure, `transient` only transient ones, up to `limit`, with exponential back-off
// (backoff × factor^retry, capped at max_backoff). Plain functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "actors/workflow/workflow_spec.hpp"

namespace dmlp::workflow {

/// What the engine knows about a failed attempt.
struct failure_info {
  /// The error the step answered with (or the engine's timeout error).
  caf::error error;
  /// Largest memory sample of the attempt in bytes; 0 when none was taken.
  double peak_memory_bytes = 0;
  /// The attempt's memory limit in MiB; 0 for unlimited.
  uint64_t memory_limit_mb = 0;
};

/// The classification of a failure.
struct failure_verdict {
  /// Whether a retry can help.
  bool transient = false;
  /// Short cause: "out_of_memory", "timeout", "data_missing", "error", …
  std::string cause;
  /// Memory limit for the next attempt (raised after out of memory).
  uint64_t next_memory_mb = 0;
};

/// Classifies a failure.
failure_verdict classify_failure(const failure_info& info);

/// Whether and when to retry.
struct retry_decision {
  /// Retry at all.
  bool retry = false;
  /// Back-off before the retry.
  std::chrono::milliseconds delay{0};
};

/// Decides the retry of an attempt numbered `attempt` (0 = first) that failed with `verdict`.
retry_decision decide_retry(const retry_spec& spec, uint32_t attempt,
                            const failure_verdict& verdict);

} // namespace dmlp::workflow
