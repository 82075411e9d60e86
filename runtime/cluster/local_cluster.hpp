// A cluster of dmlp-node processes on loopback, as `dmlp cluster up|down` and `dmlp chaos node`
// manage it and as the cluster tests start it: per-node YAML configs, a join token, and a
// nodes file under one directory, plus process helpers (launch detached, signal, wait).
// Layout of the directory D:
//   D/token            join token (random)          D/<name>.yaml   node config
//   D/<name>.log       the node's stdout+stderr     D/<name>/       the node's data dir
//   D/nodes.tsv        one line per node: name, address, pid, config path
// Free functions over files and processes; not thread-safe on one directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dmlp::runtime {

/// How `dmlp cluster up` lays out a local cluster.
struct local_cluster_options {
  /// Number of nodes: a head and nodes-1 workers. Default: 3.
  uint32_t nodes = 3;
  /// Port of the head; worker i gets base_port + i. Default: 7100.
  uint16_t base_port = 7100;
  /// Directory of configs, logs, pids. Default: ".dmlp-cluster".
  std::string dir = ".dmlp-cluster";
  /// The dmlp-node executable. Default: next to the running program.
  std::string node_binary;
  /// Demo workload members kept running on workers (every node is a keeper of the workload;
  /// the head hosts its supervisor while it is up). Default: 3.
  uint32_t replicas = 3;
  /// Failure detector: heartbeat interval, suspect and down timeouts. Defaults: 200/600/1200 ms.
  std::chrono::milliseconds heartbeat_interval{200};
  std::chrono::milliseconds suspect_after{600};
  std::chrono::milliseconds down_after{1200};
};

/// One node of a local cluster.
struct local_node {
  /// "head" or "worker-<i>".
  std::string name;
  /// "127.0.0.1:<port>".
  std::string address;
  /// Process id (0 when not running).
  int pid = 0;
  /// Path of its YAML config.
  std::string config;
};

/// Writes D/token and every node's config; returns the nodes (pids 0).
caf::expected<std::vector<local_node>> write_local_cluster(const local_cluster_options& options);

/// Starts `node` detached (own session, output appended to D/<name>.log); sets node.pid.
caf::error launch_node(const std::string& dir, const std::string& node_binary, local_node& node);

/// Writes D/nodes.tsv.
caf::error save_nodes(const std::string& dir, const std::vector<local_node>& nodes);

/// Reads D/nodes.tsv.
caf::expected<std::vector<local_node>> load_nodes(const std::string& dir);

/// Whether `pid` runs (and is not a zombie).
bool process_alive(int pid);

/// Sends `signal` and waits up to `limit` for the process to end; true when it ended.
bool signal_and_wait(int pid, int signal, std::chrono::milliseconds limit);

/// The directory of the running executable ("" if unknown).
std::string executable_dir();

} // namespace dmlp::runtime
