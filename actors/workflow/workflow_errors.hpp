// Error codes of the workflow engine (actors/workflow): bad workflow definitions, template
// failures, and how a run ended. Each value says whether a retry can help. Registered with
// describe() through register_workflow_errors(cfg), which also names step_errc codes.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::workflow {

/// Why a workflow operation failed.
enum class workflow_errc : uint8_t {
  /// The workflow definition is malformed (unknown key, missing field, wrong type). Retry: no.
  invalid_spec = 1,
  /// A dependency names no step, or the dependencies form a cycle. Retry: no.
  invalid_graph,
  /// A `{{…}}` template names nothing or resolves to the wrong kind of value. Retry: no.
  template_error,
  /// A step names a step type nobody registered. Retry: no.
  unknown_step_type,
  /// A step did not answer within its timeout. Retry: yes (transient).
  step_timeout,
  /// The run failed: a step failed permanently or exhausted its retries. Retry: no.
  run_failed,
  /// The run id names no recorded run (resume). Retry: no.
  unknown_run,
};

/// Returns the code's name, e.g. "invalid_graph".
std::string to_string(workflow_errc code);

/// Whether `err` is the workflow error `code`.
bool is(const caf::error& err, workflow_errc code);

/// Lets describe() print workflow and step error names (no actor system needed).
void register_workflow_error_names();

/// Lets describe() print workflow and step error names; call after configure_actor_system().
void register_workflow_errors(caf::actor_system_config& cfg);

} // namespace dmlp::workflow

CAF_ERROR_CODE_ENUM(dmlp::workflow::workflow_errc, "workflow")
