// The scheduler protocol (actors/scheduler): what a job is on the wire, and the messages between
// the scheduler actor, the clients that submit, list and cancel jobs, and the owners that run
// granted jobs. The job value types (resources, role_request, job_spec, placement) are also the
// policy's vocabulary; they live here so every node and client can send them. Plain structs
// with CAF 0.17 inspect overloads, registered in messages/type_ids.hpp. docs/scheduler.md
// walks through the protocol.
//
// Client → scheduler:
//   (sched_submit_atom, job_submission)   -> std::string         the job id (assigned if empty)
//   (sched_list_atom)                     -> std::vector<job_status>
//   (sched_cancel_atom, std::string id)   -> job_status          the job, now cancelled
// Scheduler → owner (the submission's owner actor, for owner-run jobs):
//   (job_grant)                           the job's current placements: first start, elastic
//                                         growth or shrink, re-placement after node loss
//   (sched_preempt_atom, std::string id)  -> std::string id      checkpoint and stop; the reply
//                                         means "stopped": the job is requeued. Unanswered
//                                         within preempt_grace, the job is requeued anyway.
//                                         Also sent when node loss leaves a gang below min.
//                                         The submit is answered before the first grant.
//   (sched_cancel_atom, std::string id)   the job was cancelled: stop, do not answer.
// Owner → scheduler:
//   (sched_finish_atom, std::string id)   -> job_status          the job is done
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp::scheduler {

/// Why the scheduler refused a request.
enum class scheduler_errc : uint8_t {
  /// The job is malformed (no roles, max below min, negative resources). Retry: no.
  invalid_job = 1,
  /// No job with this id. Retry: no.
  unknown_job,
  /// A job with this id is pending or running. Retry: under another id.
  duplicate_job,
  /// The job is finished or cancelled already. Retry: no.
  job_over,
};

/// Returns the code's name, e.g. "invalid_job".
std::string to_string(scheduler_errc code);

/// Lets `cfg` render scheduler errors through dmlp::describe() ("scheduler.unknown_job").
void register_scheduler_errors(caf::actor_system_config& cfg);

/// An amount of each schedulable resource.
struct resources {
  /// CPU cores (fractions allowed). Default: 0.
  double cpus = 0;
  /// Memory in MiB. Default: 0.
  double memory_mb = 0;
  /// GPUs. Default: 0.
  double gpus = 0;

  resources& operator+=(const resources& other);
  resources& operator-=(const resources& other);
  friend resources operator+(resources a, const resources& b) { return a += b; }
  friend resources operator-(resources a, const resources& b) { return a -= b; }
  friend resources operator*(resources a, double k) {
    a.cpus *= k;
    a.memory_mb *= k;
    a.gpus *= k;
    return a;
  }

  /// Whether every component of `need` fits into this amount.
  bool fits(const resources& need) const;

  /// Whether every component is zero.
  bool empty() const;

  /// max over resources of this / total (DRF's dominant share); 0 where total is 0.
  double dominant_share(const resources& total) const;

  /// "2 cpus, 512 MiB, 1 gpu" (zero components left out).
  std::string describe() const;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, resources& x) {
  return f(caf::meta::type_name("sched_resources"), x.cpus, x.memory_mb, x.gpus);
}

/// Instances of one role within a job.
struct role_request {
  /// Role name, e.g. "trainer" or "ps".
  std::string role;
  /// Resources of one instance.
  resources per_instance;
  /// Node labels an instance needs, e.g. {"role": "trainer"}; empty: any node.
  std::map<std::string, std::string> selector;
  /// Instances the job cannot run without (the gang). Default: 1.
  uint32_t min = 1;
  /// Instances it can use when capacity allows (elastic); at least min. Default: 1.
  uint32_t max = 1;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, role_request& x) {
  return f(caf::meta::type_name("sched_role_request"), x.role, x.per_instance, x.selector, x.min,
           x.max);
}

/// A job as submitted.
struct job_spec {
  /// Unique id.
  std::string id;
  /// Submitting user.
  std::string user;
  /// The user's group (team, project).
  std::string group;
  /// Higher runs first. Default: 0.
  int priority = 0;
  /// Roles in start order.
  std::vector<role_request> roles;

  /// Resources of the job's minimum gang.
  resources min_resources() const;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, job_spec& x) {
  return f(caf::meta::type_name("sched_job_spec"), x.id, x.user, x.group, x.priority, x.roles);
}

/// One placed role instance.
struct placement {
  /// Job id.
  std::string job;
  /// Role name.
  std::string role;
  /// Index of the instance within its role.
  uint32_t index = 0;
  /// Node it runs on.
  std::string node;
  /// Its resources.
  resources need;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, placement& x) {
  return f(caf::meta::type_name("sched_placement"), x.job, x.role, x.index, x.node, x.need);
}

/// A job handed to the scheduler.
struct job_submission {
  /// The job; an empty id gets one assigned ("job-N").
  job_spec spec;
  /// Who runs the job. Owner-run (owner set): the scheduler only grants placements and the
  /// owner starts the work. Otherwise the scheduler spawns every instance through the role
  /// registry of its node, with `args`.
  caf::actor owner;
  /// Argument text for spawned role instances (jobs without an owner). Default: empty.
  std::string args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_submission& x) {
  return f(caf::meta::type_name("job_submission"), x.spec, x.owner, x.args);
}

/// Where a job stands.
enum class job_state : uint8_t {
  /// Waiting for its gang (new, requeued after preemption, or paused after node loss).
  pending,
  /// Placed; its owner (or the scheduler) runs it.
  running,
  /// Asked to stop for a higher-priority job; requeued once its owner answers.
  preempting,
  /// Its owner reported it done, or every spawned instance exited normally. Final.
  finished,
  /// Cancelled by a client, or its owner was lost. Final.
  cancelled,
  /// An instance could not be started (e.g. no such role on its node). Final.
  failed,
};

/// "pending", "running", "preempting", "finished", "cancelled", "failed".
std::string to_string(job_state state);

/// Scheduler → owner: the job's placements as they stand now.
struct job_grant {
  /// The job.
  std::string job;
  /// Every placed instance.
  std::vector<placement> placements;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, job_grant& x) {
  return f(caf::meta::type_name("job_grant"), x.job, x.placements);
}

/// One job as the scheduler reports it (list, cancel, finish).
struct job_status {
  /// The job.
  job_spec spec;
  /// Its state.
  job_state state = job_state::pending;
  /// Placed instances (running jobs).
  std::vector<placement> placements;
  /// Why it waits (pending jobs), e.g. "waiting for 2 cpus on label role=trainer (1 of 3
  /// trainer instances fit)".
  std::string reason;
  /// Times it was preempted or paused.
  uint32_t preemptions = 0;
  /// Submission order.
  uint64_t sequence = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, job_status& x) {
  return f(caf::meta::type_name("job_status"), x.spec, x.state, x.placements, x.reason,
           x.preemptions, x.sequence);
}

} // namespace dmlp::scheduler

CAF_ERROR_CODE_ENUM(dmlp::scheduler::scheduler_errc, "scheduler")
