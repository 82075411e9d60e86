// Error codes of the model side (actors/models): the registry of architectures and the model
// artifact format. Returned through caf::error by every fallible call here; describe() prints
// them as "model.<name>: context" once register_model_error_names() ran (the serving and
// training roles call it while configuring their actor system). Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::models {

/// Why a model operation failed.
enum class model_errc : uint8_t {
  /// No architecture is registered under the requested name. Retry: no.
  unknown_architecture = 1,
  /// An architecture with this name is already registered. Retry: no.
  duplicate_architecture,
  /// The model directory holds no complete version. Retry: later, once one is saved.
  no_versions,
  /// The requested version does not exist. Retry: no.
  unknown_version,
  /// model.json is missing, malformed or from a newer format. Retry: no.
  bad_metadata,
  /// The weights file is corrupt, truncated or not a weights file. Retry: no.
  bad_weights,
  /// The weights do not fit the architecture (missing, extra or differently shaped tensors).
  /// Retry: no.
  shape_mismatch,
  /// Inputs to a model have the wrong size or non-finite values. Retry: no.
  bad_input,
  /// libtorch raised an error while computing. Retry: maybe.
  compute_failed,
};

/// Returns the code's name, e.g. "shape_mismatch".
std::string to_string(model_errc code);

/// Registers the "model" error category with `cfg` and teaches describe() its names.
void register_model_errors(caf::actor_system_config& cfg);

} // namespace dmlp::models

CAF_ERROR_CODE_ENUM(dmlp::models::model_errc, "model")
