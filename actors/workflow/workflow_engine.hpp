// The workflow engine: one actor per run that executes a workflow_spec's DAG. It asks the
// dag_scheduler what can start, spawns a fresh actor of the registered step type for each
// attempt, waits for its step_reply within the step's timeout, classifies failures and retries
// them with back-off (failure_policy.hpp), reuses memoized results (memo_policy.hpp), samples
// memory of running steps, and records everything through the metadata actor: the run as a
// "pipeline_run" context (its spec included), each attempt as an execution, inputs and outputs
// as events and artifacts. Every metadata request has options.metadata_timeout.
//
// Resumable: a (re)started engine first reads its run from the metadata store; steps with a
// complete or memoized execution are restored, not redone; executions left "running" by the
// dead engine are marked cancelled. Supervise it with workflow_run_child (restart: transient,
// so a crash restarts it and a finished run does not).
//
// Listener protocol (optional actor): wf_step_atom, run, instance, state — for every state
// change ("running", "complete", "memoized", "retrying", "failed");
// wf_done_atom, run, status ("succeeded" or "failed"), failure line — once, at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/workflow/engine_options.hpp"
#include "actors/workflow/step_registry.hpp"
#include "actors/workflow/workflow_spec.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::workflow {

/// Everything one run needs.
struct run_setup {
  /// The run's id (the context name); unique per run.
  std::string run_id;
  /// The workflow; absent to resume a recorded run by id.
  std::optional<workflow_spec> spec;
  /// Step types.
  std::shared_ptr<const step_registry> registry;
  /// The metadata actor.
  caf::actor metadata;
  /// Gets progress and the final status; may be invalid.
  caf::actor listener;
  /// Engine options.
  engine_options options;
  /// Clock in ms since the epoch (records, memo ages). Default: the system clock.
  std::function<int64_t()> clock;
};

/// Spawns the engine of one run.
caf::actor spawn_workflow_run(caf::actor_system& sys, run_setup setup);

/// A transient supervised child "run-<id>". With `metadata_path`, each start looks the
/// metadata actor up in the tree's name registry (it may have been restarted).
runtime::child_spec workflow_run_child(run_setup setup, std::string metadata_path = "");

} // namespace dmlp::workflow
