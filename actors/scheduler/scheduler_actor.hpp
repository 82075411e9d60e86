// The scheduler actor: the thin shell around scheduling_policy that owns the queue, the
// running jobs and their allocations, and applies each decision. It speaks the protocol of
// messages/scheduler.hpp (submit, list, cancel, finish; grants and preemption requests to
// owners) and runs a scheduling round on every change (submit, finish, cancel, a node coming
// up or going down, an owner answering a preemption) and every `tick`.
//
// Nodes come from `scheduler_config::nodes` (a static list: the embedded single node) and from
// the cluster's membership: given a node agent, the actor subscribes to its membership_events
// and turns every member into a node (capacity from node.cpus / node.memory_mb, labels from
// node.labels, gpus from a `gpus=N` label); a node that goes down or leaves is unschedulable
// and its instances are lost. A job that keeps its minimum gang on the surviving nodes gets
// the lost instances re-placed (a new job_grant); one that falls below its minimum is paused:
// preempted and requeued, and granted again when capacity returns.
//
// Owner-run jobs (job_submission::owner set) are only granted: the owner starts the work on
// job_grant, checkpoints and answers sched_preempt_atom, and sends sched_finish_atom when done.
// Other jobs are spawned by the scheduler: every instance through the node agent of its node
// (cl_spawn_atom, roles of the role registry) with the submission's args; the job finishes
// when every instance exited normally, and an instance that dies otherwise is re-placed.
//
// State (queue, running jobs, allocations, sequence counter) is saved to the snapshot store on
// every change under `snapshot_key`, and loaded when the actor starts: a restarted scheduler
// keeps its jobs. Owners on the scheduler's own node are found again through the actor
// registry; an owner on another node is not (CAF 0.17 rebuilds remote handles only inside the
// middleman): after a
// restart its running job keeps its allocation and accepts the owner's finish, but a
// preemption of it requeues the job without asking, and the owner's loss goes unnoticed.
//
// Embedded use (one process, e.g. `dmlp pipeline run`):
//   scheduler_config config;
//   config.nodes = {embedded_node("local", resources{8, 16384, 0})};
//   auto sched = spawn_scheduler(sys, config);
//   self->request(sched, timeout, sched_submit_atom::value, job_submission{spec, self, ""})
//       .then([](const std::string& id) { ... });      // then wait for job_grant
//   ...                                                 // run the work
//   self->send(sched, sched_finish_atom::value, id);
// Supervised: `supervisor_spec{...}.add(scheduler_child("scheduler",
// config).with_snapshots(store))`.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/logger.h>

#include "actors/scheduler/job.hpp"
#include "actors/scheduler/scheduling_policy.hpp"
#include "messages/cluster.hpp"
#include "runtime/child_spec.hpp"
#include "runtime/cluster/role_registry.hpp"
#include "runtime/snapshot_store.hpp"

namespace dmlp::scheduler {

/// What a scheduler actor starts with.
struct scheduler_config {
  /// Policy tunables (configs: `scheduler:`).
  scheduling_options policy;
  /// Nodes known without membership (the embedded node, tests). Default: none.
  std::vector<node_state> nodes;
  /// Node agent whose membership events add and remove nodes; null: static nodes only.
  caf::actor agent;
  /// Period of the scheduling round that runs without any change (aging, reservations).
  /// Default: 1 s.
  std::chrono::milliseconds tick{1000};
  /// How long an owner may take to answer a preemption before the job is requeued anyway.
  /// Default: 30 s.
  std::chrono::milliseconds preempt_grace{30000};
  /// Timeout of a remote spawn of a role instance. Default: 2 s.
  std::chrono::milliseconds spawn_timeout{2000};
  /// Where the state is saved; null: not saved (a restart forgets every job).
  std::shared_ptr<runtime::snapshot_store> snapshots;
  /// Key of the state in `snapshots`. Default: "scheduler".
  std::string snapshot_key = "scheduler";
  /// Roles spawned on a node without an agent (static nodes); null: only through agents.
  std::shared_ptr<runtime::role_registry> roles;
  /// Node logger; may be null.
  std::shared_ptr<spdlog::logger> log;
};

/// Name under which a cluster's scheduler is registered in the cluster registry.
constexpr const char* scheduler_registry_name = "scheduler";

/// A static, always schedulable node without labels.
node_state embedded_node(std::string name, resources capacity);

/// The node a cluster member offers: capacity from cpus / memory_mb, labels "key=value" split,
/// gpus from a "gpus=N" label; schedulable while the member is up.
node_state node_of(const member_info& member);

/// Spawns a scheduler; it loads its state from config.snapshots first.
caf::actor spawn_scheduler(caf::actor_system& sys, scheduler_config config);

/// A supervised scheduler child: the spec's snapshot store (with_snapshots) is used when
/// config.snapshots is null, and the child's path becomes the snapshot key.
runtime::child_spec scheduler_child(std::string id, scheduler_config config);

} // namespace dmlp::scheduler
