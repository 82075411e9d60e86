// Error codes of the serving role. Returned through caf::error by the router, replicas and
// option readers; the HTTP front end maps them to status codes (see docs/serving.md).
// register_serving_errors() teaches describe() their names. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::serving {

/// Why a serving operation failed.
enum class serving_errc : uint8_t {
  /// No replica became ready within the bounded wait (HTTP 503). Retry: yes, later.
  no_replica = 1,
  /// Every attempt on a replica failed (HTTP 503). Retry: yes.
  attempts_exhausted,
  /// The request's inputs do not fit the model (HTTP 400). Retry: no.
  bad_request,
  /// An option has an invalid value (start-up). Retry: no.
  bad_option,
  /// The tokens file is unreadable or malformed (start-up). Retry: no.
  bad_tokens_file,
  /// The model could not be loaded or warmed up. Retry: no.
  load_failed,
  /// The HTTP server could not bind its address. Retry: maybe, with another port.
  bind_failed,
};

/// Returns the code's name, e.g. "no_replica".
std::string to_string(serving_errc code);

/// Registers the "serving" and "model" error categories with `cfg` and their names.
void register_serving_errors(caf::actor_system_config& cfg);

} // namespace dmlp::serving

CAF_ERROR_CODE_ENUM(dmlp::serving::serving_errc, "serving")
