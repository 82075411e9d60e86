// What supervisors on one node know about the cluster without messaging: the node agent's
// latest membership snapshot, the node's own name and role registry, and the node each
// remotely placed child last ran on. The node agent writes it on every change; start
// functions of remote children (remote_child.hpp) read it. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "messages/cluster.hpp"
#include "runtime/cluster/role_registry.hpp"

namespace dmlp::runtime {

/// A node's shared, thread-safe picture of the cluster.
class cluster_view {
public:
  /// `self_name` is this node's name; `roles` its role registry (never null). A spawn noted
  /// here counts for `spawn_grace` even against snapshots that do not show it yet.
  cluster_view(std::string self_name, std::shared_ptr<role_registry> roles,
               std::chrono::milliseconds spawn_grace = std::chrono::seconds{2})
      : self_name_(std::move(self_name)), roles_(std::move(roles)), spawn_grace_(spawn_grace) {}

  /// Replaces the membership snapshot (node agent, cluster feed). A node's hosted count does not
  /// drop below what note_spawn() counted within the grace period: the snapshot may predate that
  /// spawn (hosted counts reach the snapshot with the node's next heartbeat), and placing the
  /// next child by it would put two children on the node that just got one.
  void update(std::vector<member_info> members);

  /// The latest membership snapshot, this node included.
  std::vector<member_info> members() const;

  /// Counts one more hosted child on `node` (see update()).
  void note_spawn(const std::string& node);

  /// Where the child at `path` last ran ("" if never).
  std::string last_node(const std::string& path) const;

  /// Records where the child at `path` runs now.
  void set_last_node(const std::string& path, const std::string& node);

  /// This node's name.
  const std::string& self_name() const { return self_name_; }

  /// This node's role registry.
  const std::shared_ptr<role_registry>& roles() const { return roles_; }

private:
  std::string self_name_;
  std::shared_ptr<role_registry> roles_;
  mutable std::mutex mtx_;
  std::vector<member_info> members_;
  std::map<std::string, std::string> last_nodes_;
  std::chrono::milliseconds spawn_grace_;
  // The hosted count of a node after its newest noted spawn, and when it was noted.
  std::map<std::string, std::pair<uint32_t, std::chrono::steady_clock::time_point>> noted_;
};

} // namespace dmlp::runtime
