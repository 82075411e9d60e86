// Options of one cluster node (dmlp-node) and how they are read from YAML: the `node:`,
// `cluster:` and `tls:` sections of configs/cluster/*.yaml, each field commented with its
// default, plus validation of the TLS files before CAF sees them (CAF 0.17 notices a bad file
// only at the first connection and then dies; see docs/cluster.md). Plain values; not shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/cluster/membership.hpp"

namespace dmlp::runtime {

class config_reader;

/// Node-to-node TLS (configs: `tls:`).
struct tls_options {
  /// Use TLS through CAF's OpenSSL module. Default: false.
  bool enabled = false;
  /// PEM file of the cluster CA that signs every node certificate. Default: none.
  std::string ca;
  /// PEM certificate of this node. Default: none.
  std::string certificate;
  /// PEM private key of this node. Default: none.
  std::string key;
  /// Passphrase of the key, if encrypted. Default: none.
  std::string passphrase;
};

/// Everything a node needs to start (configs: `node:`, `cluster:`, `tls:`).
struct node_options {
  /// node.name: unique node name. Default: "node".
  std::string name = "node";
  /// node.host: address to publish the node agent on. Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  /// node.port: port of the node agent. Default: 7100.
  uint16_t port = 7100;
  /// node.seeds: "host:port" of nodes to join through. Default: none (first node).
  std::vector<std::string> seeds;
  /// node.data_dir: where the node keeps data and checkpoints. Default: "data".
  std::string data_dir = "data";
  /// node.labels: "key=value" labels used by placement. Default: none.
  std::vector<std::string> labels;
  /// node.cpus: CPU cores offered; 0 = those the process may use (affinity, cgroup quota;
  /// node_capacity.hpp). Default: 0.
  uint32_t cpus = 0;
  /// node.memory_mb: memory offered in MiB; 0 = physical memory or the cgroup limit, whichever
  /// is smaller. Default: 0.
  uint32_t memory_mb = 0;
  /// cluster.token: join token every node of the cluster must present. Default: "" (none).
  std::string token;
  /// cluster.token_file: read the token from this file instead (trailing newline dropped).
  /// Default: none.
  std::string token_file;
  /// cluster.heartbeat_interval / suspect_after / down_after / forget_after.
  failure_detector_options detector;
  /// cluster.request_timeout: timeout of every request to another node. Default: 2 s.
  std::chrono::milliseconds request_timeout{2000};
  /// cluster.seed_retry: how often unreachable seeds are tried again. Default: 500 ms.
  std::chrono::milliseconds seed_retry{500};
  /// tls: node-to-node TLS.
  tls_options tls;
};

/// Reads the `node:`, `cluster:` and `tls:` sections of `reader` into `options` (absent keys
/// keep their defaults). Does not call reader.finish(): the caller reads its own sections.
caf::error read_node_options(config_reader& reader, node_options& options);

/// The settings a cluster client (the CLI, a training job with seeds) takes from the node YAML
/// at `path`: its `node:`, `cluster:` and `tls:` sections, TLS files validated. An empty path
/// gives the defaults (plaintext).
caf::expected<node_options> load_client_options(const std::string& path);

/// Loads token_file into token when set.
caf::error resolve_token(node_options& options);

/// Checks that the CA, certificate and key files exist and parse, that the key matches the
/// certificate and that the CA signed it; cluster_errc::bad_certificate naming the file
/// otherwise. Does nothing when TLS is off.
caf::error validate_tls_files(const tls_options& tls);

/// Parses "host:port".
caf::expected<std::pair<std::string, uint16_t>> parse_address(const std::string& text);

} // namespace dmlp::runtime
