// What the scheduling policy looks at besides the jobs themselves (whose value types, shared
// with the wire protocol, live in messages/scheduler.hpp): nodes with capacity and labels,
// running jobs with their placed instances, and pending jobs with their waiting time. Plain
// values shared by the policies and the scheduler actor; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/scheduler.hpp"

namespace dmlp::scheduler {

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

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, node_state& x) {
  return f(caf::meta::type_name("sched_node_state"), x.name, x.labels, x.capacity, x.schedulable);
}

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
