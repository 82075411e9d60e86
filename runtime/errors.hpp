// Error codes of the runtime: supervision, configuration, snapshots and fault injection.
// Each value says whether a retry can help.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::runtime {

/// Why a runtime operation failed.
enum class runtime_errc : uint8_t {
  /// A supervisor saw more restarts than its intensity allows and gave up (escalation).
  /// Its parent decides; retrying the same start usually fails the same way.
  restart_intensity_exceeded = 1,
  /// A child's start factory returned an error or an invalid actor. Retry: maybe.
  start_failed,
  /// No child with this id exists under the supervisor. Retry: no.
  unknown_child,
  /// A child with this id already exists. Retry: no.
  duplicate_child,
  /// The operation does not fit the supervisor's strategy (e.g. start_child on a static tree).
  /// Retry: no.
  wrong_strategy,
  /// A configuration file could not be read or parsed. Retry: no.
  config_unreadable,
  /// A configuration key is not known to the component that reads it. Retry: no.
  config_unknown_key,
  /// A configuration value has the wrong type or is out of range. Retry: no.
  config_invalid_value,
  /// A required configuration key is absent. Retry: no.
  config_missing_key,
  /// Reading or writing a file failed (I/O error, disk full). Retry: maybe.
  io_failure,
  /// The fault injector found no actor matching its target. Retry: later, maybe.
  no_such_target,
};

/// Returns the code's name, e.g. "restart_intensity_exceeded".
std::string to_string(runtime_errc code);

/// Makes describe() print runtime error names; called by configure_actor_system().
void register_runtime_error_names();

} // namespace dmlp::runtime

CAF_ERROR_CODE_ENUM(dmlp::runtime::runtime_errc, "runtime")
