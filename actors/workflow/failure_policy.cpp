#include "actors/workflow/failure_policy.hpp"

#include <algorithm>
#include <cmath>

#include <caf/atom.hpp>
#include <caf/sec.hpp>

#include "actors/workflow/workflow_errors.hpp"
#include "messages/workflow.hpp"

namespace dmlp::workflow {

failure_verdict classify_failure(const failure_info& info) {
  failure_verdict v;
  v.next_memory_mb = info.memory_limit_mb;
  const auto& err = info.error;
  auto category = err.category();
  auto more_memory = [&] {
    v.transient = true;
    v.cause = "out_of_memory";
    v.next_memory_mb = info.memory_limit_mb > 0 ? info.memory_limit_mb * 2 : 0;
  };
  if (category == caf::atom("step")) {
    switch (static_cast<step_errc>(err.code())) {
      case step_errc::out_of_memory:
        more_memory();
        return v;
      case step_errc::data_missing:
        v.cause = "data_missing";
        return v;
      case step_errc::invalid_parameters:
        v.cause = "invalid_parameters";
        return v;
      case step_errc::cancelled:
        v.cause = "cancelled";
        return v;
      case step_errc::unavailable:
        v.transient = true;
        v.cause = "unavailable";
        return v;
      case step_errc::internal:
        break;
    }
  } else if (category == caf::atom("workflow")) {
    if (is(err, workflow_errc::step_timeout)) {
      v.transient = true;
      v.cause = "timeout";
      return v;
    }
    v.cause = to_string(static_cast<workflow_errc>(err.code()));
    return v;
  } else if (category == caf::atom("codec")) {
    v.cause = "corrupt_input";
    return v;
  } else if (category == caf::atom("system")) {
    auto code = static_cast<caf::sec>(err.code());
    if (code == caf::sec::request_timeout) {
      v.transient = true;
      v.cause = "timeout";
      return v;
    }
    if (code == caf::sec::unexpected_message || code == caf::sec::invalid_argument) {
      v.cause = "protocol";
      return v;
    }
  }
  // Generic failures: the runtime samples decide whether memory was the cause.
  if (info.memory_limit_mb > 0 &&
      info.peak_memory_bytes >= 0.9 * static_cast<double>(info.memory_limit_mb) * 1024 * 1024) {
    more_memory();
    return v;
  }
  v.transient = true;
  v.cause = "error";
  return v;
}

retry_decision decide_retry(const retry_spec& spec, uint32_t attempt,
                            const failure_verdict& verdict) {
  retry_decision d;
  if (attempt >= spec.limit)
    return d;
  if (spec.on == retry_on::transient && !verdict.transient)
    return d;
  d.retry = true;
  double delay = static_cast<double>(spec.backoff.count()) * std::pow(spec.factor, attempt);
  delay = std::min(delay, static_cast<double>(spec.max_backoff.count()));
  d.delay = std::chrono::milliseconds{static_cast<int64_t>(delay)};
  return d;
}

} // namespace dmlp::workflow
