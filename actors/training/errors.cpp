#include "actors/training/errors.hpp"

#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::training {

std::string to_string(training_errc code) {
  switch (code) {
    case training_errc::invalid_option:
      return "invalid_option";
    case training_errc::bad_bundle:
      return "bad_bundle";
    case training_errc::compute_failed:
      return "compute_failed";
    case training_errc::bad_checkpoint:
      return "bad_checkpoint";
    case training_errc::peer_timeout:
      return "peer_timeout";
    case training_errc::job_failed:
      return "job_failed";
    case training_errc::nccl_unavailable:
      return "nccl_unavailable";
    case training_errc::stopped:
      return "stopped";
    case training_errc::link_failed:
      return "link_failed";
  }
  return "training_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_training_error_names() {
  add_error_names(caf::atom("training"),
                  [](uint8_t code) { return to_string(static_cast<training_errc>(code)); });
}

void register_training_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("training"));
  register_training_error_names();
}

} // namespace dmlp::training
