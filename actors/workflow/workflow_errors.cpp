#include "actors/workflow/workflow_errors.hpp"

#include <caf/atom.hpp>

#include "messages/error_names.hpp"
#include "messages/register.hpp"
#include "messages/workflow.hpp"

namespace dmlp::workflow {

std::string to_string(workflow_errc code) {
  switch (code) {
    case workflow_errc::invalid_spec:
      return "invalid_spec";
    case workflow_errc::invalid_graph:
      return "invalid_graph";
    case workflow_errc::template_error:
      return "template_error";
    case workflow_errc::unknown_step_type:
      return "unknown_step_type";
    case workflow_errc::step_timeout:
      return "step_timeout";
    case workflow_errc::run_failed:
      return "run_failed";
    case workflow_errc::unknown_run:
      return "unknown_run";
  }
  return "workflow_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

bool is(const caf::error& err, workflow_errc code) {
  return err && err.category() == caf::atom("workflow") && err.code() == static_cast<uint8_t>(code);
}

void register_workflow_error_names() {
  add_error_names(caf::atom("workflow"),
                  [](uint8_t code) { return to_string(static_cast<workflow_errc>(code)); });
  add_error_names(caf::atom("step"),
                  [](uint8_t code) { return dmlp::to_string(static_cast<step_errc>(code)); });
}

void register_workflow_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("workflow"));
  add_error_category(cfg, caf::atom("step"));
  register_workflow_error_names();
}

} // namespace dmlp::workflow
