// Supervision trees with OTP semantics on CAF 0.17 actors.
//
// A supervisor is an actor that starts its children in order, monitors them, and reacts to
// their exits according to its strategy (one_for_one, one_for_all, rest_for_one, or a dynamic
// pool: simple_one_for_one) and each child's restart type. Restarts are delayed by exponential
// back-off with jitter; more than `intensity.max_restarts` restarts within `intensity.period`
// make the supervisor stop all children (reverse start order, honouring each shutdown spec) and
// exit with runtime_errc::restart_intensity_exceeded, so its own supervisor decides
// (escalation). An exit signal (from its parent, an operator) stops the children in reverse
// order, then the supervisor; a supervisor killed outright kills its children. Children are
// monitored rather than linked because in CAF 0.17 exit_reason::kill travels along links
// unconditionally: a killed child would take a linked supervisor with it.
//
// Protocol (messages/atoms.hpp):
//   which_children_atom                       -> std::vector<child_info>
//   count_children_atom                       -> child_counts
//   start_child_atom, std::string id, message -> caf::actor   (pools: add a member)
//   terminate_child_atom, std::string id      -> void         (stop, keep spec; pools: remove)
//   restart_child_atom, std::string id        -> caf::actor   (start a terminated child)
//   delete_child_atom, std::string id         -> void         (remove a stopped spec)
// Every start, exit, restart, failed start, escalation and stop is published as a
// supervision_event on services.events and logged.
//
// Composing a tree:
//   supervisor_spec root{"demo", strategy::one_for_one};
//   root.add(worker("ledger", start_ledger).with_snapshots(store))
//       .add(supervisor(supervisor_spec{"workers", strategy::simple_one_for_one}
//                           .add(worker("squarer", start_squarer))));
//   caf::actor tree = spawn_supervisor(sys, root, make_services(sys));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/backoff_policy.hpp"
#include "runtime/child_spec.hpp"
#include "runtime/restart_intensity.hpp"
#include "runtime/services.hpp"
#include "runtime/supervision_policy.hpp"

namespace dmlp::runtime {

/// Everything a supervisor needs to run: strategy, limits and children.
struct supervisor_spec {
  /// Name; the root's path, or the child id when nested. Default: "root".
  std::string name = "root";
  /// Restart strategy. Default: one_for_one.
  strategy restart_strategy = strategy::one_for_one;
  /// Restart intensity. Default: 3 restarts in 5 s.
  restart_intensity intensity;
  /// Restart back-off. Default: 10 ms doubling to 2 s, 20% jitter.
  backoff_options backoff;
  /// Children in start order; for simple_one_for_one exactly one template.
  std::vector<child_spec> children;
  /// simple_one_for_one only: members started (with empty args) every time the pool starts,
  /// so a pool restarted by its parent comes back at this size. Default: 0.
  uint32_t initial_members = 0;

  supervisor_spec() = default;
  supervisor_spec(std::string supervisor_name, strategy s)
      : name(std::move(supervisor_name)), restart_strategy(s) {}

  /// Appends a child (or sets the template of a pool).
  supervisor_spec& add(child_spec child) {
    children.push_back(std::move(child));
    return *this;
  }
  /// Sets the restart intensity.
  supervisor_spec& with_intensity(uint32_t max_restarts, std::chrono::milliseconds period) {
    intensity = restart_intensity{max_restarts, period};
    return *this;
  }
  /// Sets the number of pool members started with the pool.
  supervisor_spec& with_initial_members(uint32_t count) {
    initial_members = count;
    return *this;
  }
  /// Sets the back-off.
  supervisor_spec& with_backoff(backoff_options options) {
    backoff = options;
    return *this;
  }
};

/// A child that is itself a supervisor running `spec` (shutdown: ask, kill after 30 s).
child_spec supervisor(supervisor_spec spec);

/// Spawns a supervisor. `path` defaults to spec.name.
caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec, runtime_services services,
                            std::string path = "");

} // namespace dmlp::runtime
