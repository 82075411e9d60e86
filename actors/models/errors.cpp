#include "actors/models/errors.hpp"

#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::models {

std::string to_string(model_errc code) {
  switch (code) {
    case model_errc::unknown_architecture:
      return "unknown_architecture";
    case model_errc::duplicate_architecture:
      return "duplicate_architecture";
    case model_errc::no_versions:
      return "no_versions";
    case model_errc::unknown_version:
      return "unknown_version";
    case model_errc::bad_metadata:
      return "bad_metadata";
    case model_errc::bad_weights:
      return "bad_weights";
    case model_errc::shape_mismatch:
      return "shape_mismatch";
    case model_errc::bad_input:
      return "bad_input";
    case model_errc::compute_failed:
      return "compute_failed";
  }
  return "model_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_model_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("model"));
  add_error_names(caf::atom("model"),
                  [](uint8_t code) { return to_string(static_cast<model_errc>(code)); });
}

} // namespace dmlp::models
