// The demo workload a dmlp-node can run to show supervision across nodes: a `squarer` role
// (answers cl_work_atom, x with x² and the name of the node it runs on) that every node
// registers, and on the node whose config has `workload.replicas > 0` a supervision subtree
// "workload" = a simple_one_for_one pool of remote squarers placed by `workload.placement`
// plus a driver actor that keeps the pool at `replicas` members, sends each member one work
// item per `period`, and counts answers (cl_wstats_atom -> completed, failed, placements).
// The driver is registered in the cluster registry as "workload". Used by dmlp-node, the
// cluster chaos tests and benchmarks.
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

/// The "workload" subtree (pool + driver); `agent` is the node agent the driver registers with.
caf::expected<runtime::child_spec> workload_subtree(const workload_options& options,
                                                    std::shared_ptr<runtime::cluster_view> view,
                                                    caf::actor agent);

} // namespace dmlp::node
