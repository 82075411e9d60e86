// What the scheduler schedules: a job is a group of role instances (e.g. 2 trainers + 1 PS)
// with per-instance resource requests, an owner (user, group), a priority and an elastic range
// per role. Plain values shared by the policies and the scheduler actor; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/scheduler/resources.hpp"

namespace dmlp::scheduler {

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

/// A node as the scheduler sees it.
struct node_state {
  /// Node name.
  std::string name;
  /// Labels, e.g. {"role": "trainer", "gpu": "1"}.
  std::map<std::string, std::string> labels;
  /// Total capacity.
  resources capacity;
  /// False while the node is down or draining. Default: true.
  bool schedulable = true;

  /// Whether the node carries every label of `selector`.
  bool matches(const std::map<std::string, std::string>& selector) const;
};

/// A job with instances placed.
struct running_job {
  /// The job.
  job_spec spec;
  /// Its instances.
  std::vector<placement> instances;
  /// When it (last) started, in ms of the caller's clock.
  int64_t started_at_ms = 0;
};

/// A job waiting for its gang (new, or requeued after preemption or node loss).
struct pending_job {
  /// The job.
  job_spec spec;
  /// Since when it waits, in ms of the caller's clock.
  int64_t waiting_since_ms = 0;
  /// Submission order; earlier wins ties.
  uint64_t sequence = 0;
};

} // namespace dmlp::scheduler
