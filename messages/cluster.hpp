// The cluster protocol's value types: what node agents tell each other (join, heartbeat with
// the sender's view of the membership and its registered names), what a remote spawn asks
// for, and what a status query answers. Plain structs with CAF 0.17 inspect overloads;
// registered in messages/type_ids.hpp so every node understands them. Owned by
// runtime/cluster/node_agent; the CLI and tests read them through runtime/cluster/cluster_client.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp {

/// Lifecycle of one node incarnation as a membership table sees it.
enum class member_state : uint8_t {
  /// Learned from another node's view; no heartbeat of its own seen yet.
  joining,
  /// Heartbeats arrive.
  up,
  /// Heartbeats missed for longer than suspect_after.
  suspect,
  /// Declared dead (timeout, lost connection, or replaced by a newer incarnation). Final.
  down,
  /// Left the cluster on purpose (shutdown). Final.
  left,
};

/// "joining", "up", "suspect", "down", "left".
std::string to_string(member_state state);

/// One node incarnation: identity (name + host:port + epoch), labels, capacity, agent.
struct member_info {
  /// Node name, unique in the cluster, e.g. "worker-2".
  std::string name;
  /// Address the node agent is published on.
  std::string host;
  /// Port the node agent is published on.
  uint16_t port = 0;
  /// Random per start; a restarted node is a new incarnation with a new epoch.
  uint64_t epoch = 0;
  /// State as the sender sees it.
  member_state state = member_state::joining;
  /// "key=value" labels, e.g. "role=worker".
  std::vector<std::string> labels;
  /// CPU cores offered.
  uint32_t cpus = 0;
  /// Memory offered, MiB.
  uint64_t memory_mb = 0;
  /// Role actors the node hosts for remote supervisors (load, for placement).
  uint32_t hosted = 0;
  /// The node agent.
  caf::actor agent;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("member_info"), x.name, x.host, x.port, x.epoch, x.state, x.labels,
           x.cpus, x.memory_mb, x.hosted, x.agent);
}

/// One entry of the cluster-wide name registry.
struct cluster_name {
  /// Registered name, e.g. "workload".
  std::string name;
  /// The actor.
  caf::actor handle;
  /// Name of the node that registered it.
  std::string node;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, cluster_name& x) {
  return f(caf::meta::type_name("cluster_name"), x.name, x.handle, x.node);
}

/// A node asks a member to let it in.
struct join_request {
  /// The joining incarnation.
  member_info node;
  /// The cluster join token.
  std::string token;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.node, x.token);
}

/// Sent every heartbeat interval to every member that is not down.
struct node_heartbeat {
  /// The sender (its own state field is `up`).
  member_info from;
  /// Every member the sender knows, with the state it sees.
  std::vector<member_info> view;
  /// The names registered on the sender's node.
  std::vector<cluster_name> names;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_heartbeat& x) {
  return f(caf::meta::type_name("node_heartbeat"), x.from, x.view, x.names);
}

/// Asks a node agent to start a role actor for a (remote) supervisor.
struct spawn_request {
  /// Role name in the node's role registry, e.g. "squarer".
  std::string role;
  /// Supervision path of the child, e.g. "head/workload/squarer-1".
  std::string path;
  /// Role-specific argument text (may be empty).
  std::string args;
  /// The requesting supervisor: the child is killed when it is lost.
  caf::actor owner;
  /// Names of the requesting node under `names_prefix` at request time (supervision paths of
  /// the child's peers), so that the child can find them from its first message on.
  std::vector<cluster_name> names;
  /// Prefix of the shared names; empty = none shared.
  std::string names_prefix;
  /// Answers (lookup_names_atom, prefix) on the requesting node: the hosting node refreshes the
  /// shared names from it while the child lives (runtime/cluster/shared_names.hpp).
  caf::actor directory;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, spawn_request& x) {
  return f(caf::meta::type_name("spawn_request"), x.role, x.path, x.args, x.owner, x.names,
           x.names_prefix, x.directory);
}

/// A role actor a node hosts for a supervisor.
struct hosted_child {
  /// Supervision path.
  std::string path;
  /// Role name.
  std::string role;
  /// The actor.
  caf::actor handle;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, hosted_child& x) {
  return f(caf::meta::type_name("hosted_child"), x.path, x.role, x.handle);
}

/// A node's answer to a status query.
struct cluster_status {
  /// The answering node.
  std::string node;
  /// Every member it knows, itself included.
  std::vector<member_info> nodes;
  /// The cluster-wide name registry as it sees it.
  std::vector<cluster_name> names;
  /// Role actors hosted by the answering node.
  std::vector<hosted_child> hosted;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status& x) {
  return f(caf::meta::type_name("cluster_status"), x.node, x.nodes, x.names, x.hosted);
}

/// Published to membership subscribers on every state change.
struct membership_event {
  /// The member after the change.
  member_info node;
  /// State before the change.
  member_state previous = member_state::joining;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, membership_event& x) {
  return f(caf::meta::type_name("membership_event"), x.node, x.previous);
}

} // namespace dmlp
