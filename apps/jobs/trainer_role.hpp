// The `trainer` role of a cluster node: lets a training job started outside the node (`dmlp
// train --seeds`, a pipeline's training step) place trainers on it through remote_worker. The
// job sends the trainer's options as JSON argument text and shares the names under its tree
// (coordinator, master, shards; runtime/cluster/shared_names.hpp), so the trainer runs exactly
// as in one process: the same actor, the same protocol, now over the network. Every dmlp-node
// registers the role.
#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <spdlog/logger.h>

#include "actors/training/trainer.hpp"
#include "runtime/cluster/role_registry.hpp"

namespace dmlp::training {

/// Name of the role in a node's role registry.
constexpr const char* trainer_role_name = "trainer";

/// The trainer's options as argument text of a spawn_request.
std::string encode_trainer_args(const trainer_options& options);

/// Options from argument text; training_errc::invalid_option naming the bad field otherwise.
caf::expected<trainer_options> decode_trainer_args(const std::string& text);

/// How a node's trainers run their ring (trainer_options' fields of the same names).
struct trainer_node_settings {
  /// Direct TCP ring links between trainers; off on TLS clusters. Default: false.
  bool direct_link = false;
  /// The node's node.host, where its trainers' ring links listen. Default: "127.0.0.1".
  std::string link_host = "127.0.0.1";
};

/// Registers the `trainer` role; its trainers log through `log` (may be null) and run their
/// ring as `node` says.
void register_trainer_role(runtime::role_registry& roles, std::shared_ptr<spdlog::logger> log,
                           trainer_node_settings node = {});

} // namespace dmlp::training
