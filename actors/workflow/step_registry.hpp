// The step types a workflow may name. A step type is a name, a version (part of memo keys:
// bump it when the step's behaviour changes) and a factory that spawns a fresh actor speaking
// the step protocol (messages/workflow.hpp) for each attempt. Roles register their own types
// from apps/ code (an actor that talks to ingest or training through their protocols), so the
// engine never includes them; add_function() wraps a plain function for small steps.
// Built once, then shared read-only by engines (thread-safe after construction).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/workflow.hpp"

namespace dmlp::workflow {

/// Runs one step attempt.
using step_function = std::function<caf::expected<step_reply>(const step_request&)>;
/// Fingerprints the external content a step reads (for memo invalidation).
using probe_function = std::function<caf::expected<std::string>(const step_request&)>;
/// Spawns a step actor.
using step_spawner = std::function<caf::actor(caf::actor_system&)>;

/// One registered step type.
struct step_type {
  /// Name used in workflows.
  std::string name;
  /// Version; part of memo keys. Default: 1.
  uint32_t version = 1;
  /// Spawns the actor for one attempt.
  step_spawner spawn;
  /// Whether the actor answers step_probe_atom. Default: false.
  bool probes = false;
};

/// Spawns an actor running `run` (and `probe` when set); on its own thread when
/// `dedicated_thread` (for steps that compute for long). Exceptions become step_errc::internal.
caf::actor spawn_function_step(caf::actor_system& sys, step_function run, probe_function probe,
                               bool dedicated_thread);

/// The step types known to an engine.
class step_registry {
public:
  /// Adds a type; a second type of the same name is workflow_errc::invalid_spec.
  caf::error add(step_type type);

  /// Adds a type backed by a function.
  caf::error add_function(std::string name, uint32_t version, step_function run,
                          probe_function probe = {}, bool dedicated_thread = false);

  /// The type called `name`, or null.
  const step_type* find(const std::string& name) const;

  /// Every registered name, sorted.
  std::vector<std::string> names() const;

private:
  std::map<std::string, step_type> types_;
};

/// Registers the generic built-in types (docs/workflow.md): noop, echo, range, square, sum,
/// max, write_file, file_digest, concat, fail.
void register_builtin_steps(step_registry& registry);

} // namespace dmlp::workflow
