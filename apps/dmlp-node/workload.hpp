// The demo workload a dmlp-node can run to show supervision across nodes: a `squarer` role
// (answers cl_work_atom, x with x² and the name of the node it runs on) that every node
// registers, and a supervision subtree "workload" = a simple_one_for_one pool of remote
// squarers placed by `workload.placement` plus a driver actor that keeps the pool at
// `replicas` members, sends each member one work item per `period`, and counts answers
// (cl_wstats_atom -> completed, failed, placements). The driver is registered in the cluster
// registry as "workload".
//
// The subtree is a cluster singleton: every node whose config has `workload.replicas > 0`
// runs a keeper (labelled `workload=keeper`) and the keepers agree through
// runtime/cluster/singleton_policy.hpp on the one node that hosts it. When that node is lost,
// the next keeper starts the subtree, whose pool restarts the squarers (their hosts stopped
// the old ones with their supervisor): the workload has no single point. Used by dmlp-node,
// the cluster chaos tests and benchmarks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "runtime/cluster/cluster_view.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::node {

/// configs: `workload:`.
struct workload_options {
  /// Pool members to keep running; 0 = no workload on this node. Default: 0.
  uint32_t replicas = 0;
  /// Role of the members. Default: "squarer".
  std::string role = "squarer";
  /// Placement: any, node:NAME or label:KEY=VALUE. Default: "label:role=worker".
  std::string placement = "label:role=worker";
  /// One work item per member per period. Default: 100 ms.
  std::chrono::milliseconds period{100};
};

/// Registers the `squarer` role (answers with `node_name`).
void register_demo_roles(runtime::role_registry& roles, const std::string& node_name);

/// Label of the nodes that may host the workload.
constexpr const char* workload_keeper_label = "workload=keeper";

/// What a workload keeper needs besides the workload options.
struct keeper_options {
  /// How often the keeper reads the membership. Default: 200 ms.
  std::chrono::milliseconds check_every{200};
  /// How long after its start a keeper waits for other hosts to show up before it may start
  /// the workload. Default: 2.4 s (two default down_after periods).
  std::chrono::milliseconds grace{2400};
  /// Whether the node has seeds: then it also waits until it joined someone. Default: false.
  bool has_seeds = false;
};

/// A worker "workload-keeper" that hosts the "workload" subtree (pool + driver) while this
/// node is the one chosen to; `agent` is the node agent (membership, name registry).
caf::expected<runtime::child_spec> workload_keeper(const workload_options& options,
                                                   keeper_options keeper,
                                                   std::shared_ptr<runtime::cluster_view> view,
                                                   caf::actor agent);

} // namespace dmlp::node
