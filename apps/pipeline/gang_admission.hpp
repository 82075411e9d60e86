// Admission of a pipeline's training jobs through the scheduler actor (actors/scheduler):
// each job is submitted owner-run, the calling step thread waits for the grant of its whole
// minimum gang, and the returned lease tells the scheduler the job finished when released. The
// pipeline's jobs share one priority, so the scheduler never preempts one of them for another;
// a job submitted by someone else with a higher priority would be requeued by the scheduler
// after its grace period while the step keeps running (the pipeline does not checkpoint jobs
// on demand). Thread-safe.
#pragma once

#include <chrono>
#include <functional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "apps/pipeline/pipeline_steps.hpp"

namespace dmlp::pipeline {

/// The scheduler to talk to now (a supervised scheduler is a new actor after a restart);
/// an error when none can be reached.
using scheduler_resolver = std::function<caf::expected<caf::actor>()>;

/// Admission through the scheduler `resolve` finds; waits at most `timeout` for a grant.
gang_admission scheduler_admission(caf::actor_system& sys, scheduler_resolver resolve,
                                   std::chrono::milliseconds timeout);

} // namespace dmlp::pipeline
