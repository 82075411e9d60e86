// Where a cluster singleton runs: one actor (a supervision subtree, usually) that several
// nodes are able to host but only one should, such as the demo workload's supervisor. Every
// candidate node carries a label (e.g. `workload=keeper`) and registers the singleton under
// one cluster name while it hosts it. decide_singleton() is a plain function over a node's
// view (no actor, no clock): the lowest-named up candidate starts it when no live node hosts
// it, and when two hosts meet (after a partition, a restarted node) the lower name keeps it.
// Its caller, the keeper actor, acts on the answer. Thread-safe (pure).
#pragma once

#include <string>
#include <vector>

#include "messages/cluster.hpp"

namespace dmlp::runtime {

/// What a candidate node should do about the singleton.
enum class singleton_action {
  /// Not hosting; host it now.
  start,
  /// Hosting; go on.
  keep,
  /// Hosting, but a lower-named live node hosts it too: stop this copy.
  stop,
  /// Not hosting; another node hosts it or is first in line.
  stand_by,
};

/// A node's view as decide_singleton() reads it.
struct singleton_view {
  /// This node's name.
  std::string self;
  /// Whether this node hosts the singleton now.
  bool hosting = false;
  /// Whether this node may start it yet (joined the cluster and waited out a grace period in
  /// which other hosts make themselves known).
  bool settled = false;
  /// The membership, this node included.
  std::vector<member_info> members;
  /// The cluster name registry (live nodes only).
  std::vector<cluster_name> names;
};

/// Decides for the singleton registered as `name` among nodes labelled `candidate_label`.
singleton_action decide_singleton(const std::string& name, const std::string& candidate_label,
                                  const singleton_view& view);

/// "start", "keep", "stop" or "stand_by".
std::string to_string(singleton_action action);

} // namespace dmlp::runtime
