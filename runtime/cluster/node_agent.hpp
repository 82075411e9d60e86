// The node agent: the one actor every dmlp-node publishes on its port. It keeps the node's
// membership table (membership.hpp) alive with heartbeats, joins through seeds (retrying
// unreachable ones), checks the join token of nodes that ask to join, detects failures (missed
// heartbeats and lost connections), serves the cluster-wide name registry, starts role actors
// for supervisors anywhere in the cluster (and kills them when their supervisor is lost), and
// publishes membership_events to subscribers. When the cluster declares this incarnation
// down (a freeze longer than the timeout) it kills what it hosts and rejoins as a new
// incarnation. An exit signal makes it tell every member it leaves, then stop.
//
// Protocol (messages/atoms.hpp, messages/cluster.hpp):
//   cl_join_atom, join_request        -> std::vector<member_info>   (token checked)
//   cl_beat_atom, node_heartbeat      (between agents)
//   cl_status_atom                    -> cluster_status
//   cl_spawn_atom, spawn_request      -> caf::actor
//   cl_reg_atom, name, caf::actor     (register; dies with the actor or its node)
//   cl_resolve_atom, name             -> caf::actor
//   cl_sub_atom, caf::actor           (membership_events go to the actor)
//   cl_leave_atom, name, epoch        (a member leaves)
//   cl_down_atom, name, epoch         (this incarnation was declared down)
#pragma once

#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/logger.h>

#include "runtime/cluster/cluster_view.hpp"
#include "runtime/cluster/node_options.hpp"

namespace dmlp::runtime {

/// What a node agent starts with.
struct node_agent_config {
  /// The node's options (name, address, seeds, token, detector, TLS).
  node_options options;
  /// Shared view written by the agent (never null); holds the role registry.
  std::shared_ptr<cluster_view> view;
  /// Node logger; may be null.
  std::shared_ptr<spdlog::logger> log;
  /// Seed of the epoch generator; 0 = random device.
  uint64_t seed = 0;
};

/// Spawns the agent; publish it with publish_agent() and send it cl_tick_atom to start.
caf::actor spawn_node_agent(caf::actor_system& sys, node_agent_config config);

} // namespace dmlp::runtime
