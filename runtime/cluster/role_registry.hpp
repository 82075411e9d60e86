// The role registry of one node: named actor factories ("squarer", "trainer") that the node
// agent uses to start actors on behalf of supervisors anywhere in the cluster, and that a
// supervisor uses directly when placement picks its own node. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "messages/cluster.hpp"

namespace dmlp::runtime {

/// Starts one actor of a role for `request` (role, path, args); returns its handle.
using role_factory =
    std::function<caf::expected<caf::actor>(caf::actor_system&, const spawn_request&)>;

/// Named actor factories of a node.
class role_registry {
public:
  /// Adds (or replaces) the factory of `role`.
  void add(const std::string& role, role_factory factory);

  /// Starts an actor of `request.role`; cluster_errc::unknown_role when none is registered.
  caf::expected<caf::actor> spawn(caf::actor_system& sys, const spawn_request& request) const;

  /// Registered role names, sorted.
  std::vector<std::string> roles() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, role_factory> factories_;
};

} // namespace dmlp::runtime
