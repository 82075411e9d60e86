// Step memoization decisions, with no actor inside. The key of a step instance is the digest
// of its step type and version, its resolved parameters (canonical JSON: sorted keys) and the
// names and digests of its input artifacts; so a changed parameter or changed upstream data
// gives a new key. A stored entry is reused unless it is older than the step's max_age (time
// expiry) or the step's content probe now reports a different fingerprint than the entry's
// (content invalidation: the source's record count or digest changed). Only successes are
// stored. GC drops entries not hit within a horizon and then deletes the files of artifacts no
// entry refers to any more, but only below the engine's artifact root.
// Plain functions; the caller passes the clock. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/metadata.hpp"

namespace dmlp::workflow {

/// The memo key of one step instance.
std::string memo_key(const std::string& step_type, uint32_t version,
                     const nlohmann::json& parameters, const std::vector<md_output>& inputs);

/// What to do with a lookup.
enum class memo_outcome {
  /// Reuse the entry.
  hit,
  /// No entry: run the step.
  miss,
  /// The entry is older than max_age: run the step, replace the entry.
  expired,
  /// The content fingerprint changed: run the step, replace the entry.
  content_changed,
};

/// Returns "hit", "miss", "expired" or "content_changed".
std::string to_string(memo_outcome outcome);

/// Decides whether `lookup` may be reused at `now_ms`.
memo_outcome decide_memo(const md_memo_lookup& lookup, int64_t now_ms,
                         std::chrono::milliseconds max_age, const std::string& content_token);

/// The GC cut-off: entries last hit before it are dropped.
int64_t memo_gc_cutoff(int64_t now_ms, std::chrono::milliseconds horizon);

/// Deletes the files of `uris` ("file://" + path) that lie below `artifact_root`; returns how
/// many were removed. Other URIs are left alone.
size_t remove_artifact_files(const std::vector<std::string>& uris,
                             const std::string& artifact_root);

} // namespace dmlp::workflow
