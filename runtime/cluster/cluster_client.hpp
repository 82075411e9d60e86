// A client of a running cluster, for the CLI, tests and benchmarks: connects to a node agent
// (plain or TLS) without joining, and asks it for the membership, names, or hosted actors.
// Every call is blocking with a finite timeout; use it from a plain thread, not from inside an
// actor. Not thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "messages/cluster.hpp"
#include "runtime/cluster/node_options.hpp"

namespace dmlp::runtime {

/// Talks to node agents from outside the cluster.
class cluster_client {
public:
  /// `sys` must be configured with configure_client_system() (same TLS settings as the nodes).
  cluster_client(caf::actor_system& sys, tls_options tls,
                 std::chrono::milliseconds timeout = std::chrono::seconds{3});

  /// Connects to the agent at "host:port".
  caf::expected<caf::actor> connect(const std::string& address);

  /// Connects to the first reachable agent among `seeds`.
  caf::expected<caf::actor> connect_any(const std::vector<std::string>& seeds);

  /// The agent's cluster_status.
  caf::expected<cluster_status> status(const caf::actor& agent);

  /// Resolves a name of the cluster registry through `agent`.
  caf::expected<caf::actor> resolve(const caf::actor& agent, const std::string& name);

  /// The demo workload's counters: completed, failed, "child@node" placements.
  caf::expected<std::tuple<uint64_t, uint64_t, std::vector<std::string>>>
  workload_stats(const caf::actor& workload);

  /// The timeout of every call.
  std::chrono::milliseconds timeout() const { return timeout_; }

private:
  caf::actor_system& sys_;
  tls_options tls_;
  std::chrono::milliseconds timeout_;
};

/// {"node":..,"nodes":[{"name","address","epoch","state","labels","cpus","memory_mb",
/// "hosted"}],"names":[{"name","node"}],"hosted":[{"path","role"}]}
nlohmann::json to_json(const cluster_status& status);

} // namespace dmlp::runtime
