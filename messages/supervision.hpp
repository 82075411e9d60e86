// The supervision protocol's value types: what a supervisor answers when asked about its
// children, and the events it publishes on the supervision event stream. Plain structs with
// CAF 0.17 inspect overloads; registered in messages/type_ids.hpp so they cross nodes.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp {

/// Lifecycle of one child as its supervisor sees it.
enum class child_state : uint8_t {
  /// Started and not asked to stop.
  running,
  /// Being shut down by its supervisor.
  stopping,
  /// Exited; waiting for its back-off delay before the next start.
  restarting,
  /// Not running and not due to restart (a transient child that finished, or terminated).
  stopped,
};

/// Whether a child is a worker or another supervisor (which the fault injector may descend into).
enum class child_kind : uint8_t { worker, supervisor };

std::string to_string(child_state state);
std::string to_string(child_kind kind);

/// One row of a supervisor's `which_children` answer.
struct child_info {
  /// The child's id, unique among its siblings.
  std::string id;
  /// The running actor; invalid unless state is running or stopping.
  caf::actor handle;
  /// Worker or supervisor.
  child_kind kind = child_kind::worker;
  /// Current state.
  child_state state = child_state::stopped;
  /// How many times this child was restarted since its spec was added.
  uint32_t restarts = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("child_info"), x.id, x.handle, x.kind, x.state, x.restarts);
}

/// A supervisor's `count_children` answer (OTP: specs, active, supervisors, workers).
struct child_counts {
  /// Child specs held, running or not.
  uint32_t specs = 0;
  /// Children currently running.
  uint32_t active = 0;
  /// Specs whose child is a supervisor.
  uint32_t supervisors = 0;
  /// Specs whose child is a worker.
  uint32_t workers = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, child_counts& x) {
  return f(caf::meta::type_name("child_counts"), x.specs, x.active, x.supervisors, x.workers);
}

/// What happened to a child.
enum class supervision_event_kind : uint8_t {
  /// A child started (first start or restart).
  started,
  /// A child exited; `reason` says why.
  exited,
  /// A child was started again after an exit; `restarts` is its new restart count.
  restarted,
  /// A child's start factory failed; `reason` says why.
  start_failed,
  /// The supervisor exceeded its restart intensity and gives up to its parent.
  escalated,
  /// The supervisor finished shutting down its children and exits.
  stopped,
};

std::string to_string(supervision_event_kind kind);

/// One entry of the supervision event stream (runtime/supervision_events.hpp).
struct supervision_event {
  /// What happened.
  supervision_event_kind kind = supervision_event_kind::started;
  /// Path of the supervisor that reports it, e.g. "demo/workers".
  std::string supervisor;
  /// Id of the child concerned; empty for supervisor-level events.
  std::string child;
  /// CAF actor id of the child instance concerned (0 when none).
  uint64_t actor_id = 0;
  /// Exit or failure reason as text; empty when not applicable.
  std::string reason;
  /// The child's restart count after this event.
  uint32_t restarts = 0;
  /// Wall-clock time of the event, nanoseconds since the epoch.
  int64_t at_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervision_event& x) {
  return f(caf::meta::type_name("supervision_event"), x.kind, x.supervisor, x.child, x.actor_id,
           x.reason, x.restarts, x.at_ns);
}

} // namespace dmlp
