// A child spec whose actor runs on a node chosen by a placement rule (placement.hpp): the
// start function picks a live eligible node from the node's cluster_view (preferring a node
// other than the one the previous instance died on), starts the role there through that
// node's agent (a request with a finite timeout; its own node's agent too, so that every node
// accounts for what it hosts the same way), and returns the handle. The supervisor monitors
// the handle like any child: when the node is lost, the down_msg arrives (connection lost, or
// the middleman heartbeat timed out) and the child's restart type and the strategy decide; the
// restart runs the start function again and lands on another eligible node. No eligible node
// → the start fails with cluster_errc::no_eligible_node and the supervisor retries with
// back-off, reporting start_failed events. The start blocks the supervisor for at most
// `timeout`. With `shared_prefix`, the child gets this node's names under that prefix and a
// directory to refresh them from (shared_names.hpp), for roles that find peers by path.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "runtime/child_spec.hpp"
#include "runtime/cluster/cluster_view.hpp"
#include "runtime/cluster/placement.hpp"

namespace dmlp::runtime {

/// A worker child running role `role` (with argument text `args`) on a node chosen by `where`;
/// it shares the names under `shared_prefix` (empty: none).
child_spec remote_worker(std::string id, std::string role, placement where,
                         std::shared_ptr<cluster_view> view, std::string args = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds{2},
                         std::string shared_prefix = "");

} // namespace dmlp::runtime
