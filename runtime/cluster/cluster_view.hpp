// What supervisors on one node know about the cluster without messaging: the node agent's
// latest membership snapshot, the node's own name and role registry, and the node each
// remotely placed child last ran on. The node agent writes it on every change; start
// functions of remote children (remote_child.hpp) read it. Thread-safe.
#pragma once

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
  /// `self_name` is this node's name; `roles` its role registry (never null).
  cluster_view(std::string self_name, std::shared_ptr<role_registry> roles)
      : self_name_(std::move(self_name)), roles_(std::move(roles)) {}

  /// Replaces the membership snapshot (node agent only).
  void update(std::vector<member_info> members);

  /// The latest membership snapshot, this node included.
  std::vector<member_info> members() const;

  /// Counts one more hosted child on `node` until the next snapshot says otherwise.
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
};

} // namespace dmlp::runtime
