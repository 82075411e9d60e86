// The step protocol: how the workflow engine (actors/workflow) asks a step actor to run, and
// what the step answers. Any role can implement a step type (ingest, training, serving) without
// including the engine: an actor that answers
//   step_run_atom,   step_request -> step_reply   (or a caf::error, ideally a step_errc)
//   step_probe_atom, step_request -> std::string  (optional: fingerprint of external content
//                                                  for memo invalidation, e.g. a data digest)
// Failures a step reports as step_errc tell the engine whether a retry can help; any other
// error is classified from its category and the execution's runtime samples.
// Plain structs with CAF 0.17 inspect overloads, registered in messages/type_ids.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/metadata.hpp"

namespace dmlp {

/// What a step failed with; says whether a retry can help.
enum class step_errc : uint8_t {
  /// The step ran out of memory. Transient: retried with a larger memory limit.
  out_of_memory = 1,
  /// Input data is gone or unreadable. Permanent: a retry reads the same nothing.
  data_missing,
  /// Parameters are wrong for this step type. Permanent.
  invalid_parameters,
  /// A service the step needs is unavailable right now. Transient.
  unavailable,
  /// The step hit an internal error. Transient (it may be a fluke).
  internal,
  /// The step was cancelled by the engine. Permanent.
  cancelled,
};

/// Returns the code's name, e.g. "out_of_memory".
std::string to_string(step_errc code);

/// One request to run a step instance.
struct step_request {
  /// The run id.
  std::string run;
  /// The step's name in the workflow.
  std::string step;
  /// The instance name, e.g. "train[1]" for the second item of a fan-out.
  std::string instance;
  /// Registered step type name.
  std::string type;
  /// Attempt number, 0 for the first try.
  uint32_t attempt = 0;
  /// JSON object text of the resolved parameters.
  std::string parameters = "{}";
  /// Artifacts of upstream steps, named "<instance>.<output>".
  std::vector<md_output> inputs;
  /// Directory for output files of this attempt (exists when the step runs).
  std::string work_dir;
  /// The execution's id in the metadata store (for samples); 0 when not recorded.
  int64_t execution_id = 0;
  /// The metadata actor, for md_samples_atom; may be invalid.
  caf::actor metadata;
  /// Memory the step may use in MiB; 0 means unlimited. Raised after out_of_memory.
  uint64_t memory_limit_mb = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, step_request& x) {
  return f(caf::meta::type_name("step_request"), x.run, x.step, x.instance, x.type, x.attempt,
           x.parameters, x.inputs, x.work_dir, x.execution_id, x.metadata, x.memory_limit_mb);
}

/// A step's result: named values and named artifacts.
struct step_reply {
  /// JSON object text of output values. Default: "{}".
  std::string outputs = "{}";
  /// Output artifacts (id 0: new; the engine records them).
  std::vector<md_output> artifacts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, step_reply& x) {
  return f(caf::meta::type_name("step_reply"), x.outputs, x.artifacts);
}

} // namespace dmlp

CAF_ERROR_CODE_ENUM(dmlp::step_errc, "step")
