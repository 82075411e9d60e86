// The decisions of a supervisor, apart from its mechanics: whether an exit warrants a restart,
// and which siblings a strategy stops and starts again. Pure functions that follow OTP's
// supervisor semantics; unit-tested without actors. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/error.hpp>

#include "runtime/child_spec.hpp"

namespace dmlp::runtime {

/// OTP restart strategies.
enum class strategy : uint8_t {
  /// Restart only the child that exited.
  one_for_one,
  /// Stop all other children, then restart all.
  one_for_all,
  /// Stop the children started after the one that exited, then restart it and them.
  rest_for_one,
  /// A dynamic pool of children made from one template; restarts as one_for_one.
  simple_one_for_one,
};

/// Name of the strategy, e.g. "rest_for_one".
const char* to_string(strategy s);

/// Whether `reason` is a normal exit (exit_reason::normal or user_shutdown).
bool is_normal_exit(const caf::error& reason);

/// Whether a child of restart type `type` that exited with `reason` is restarted.
bool should_restart(restart_type type, const caf::error& reason);

/// Siblings affected by the failure of one child.
struct restart_plan {
  /// Indices (start order) of the other children to stop, in the order to stop them.
  std::vector<size_t> stop;
  /// Indices of the children to start again, in the order to start them (includes the failed).
  std::vector<size_t> start;
};

/// The plan for the failure of child `failed` among `count` children under `s`.
restart_plan plan_restart(strategy s, size_t failed, size_t count);

} // namespace dmlp::runtime
