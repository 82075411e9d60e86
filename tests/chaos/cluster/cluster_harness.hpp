// Test harness for clusters of real dmlp-node processes on 127.0.0.1: lays out and launches a
// local cluster (runtime/cluster/local_cluster.hpp), queries nodes through a cluster_client,
// and waits for conditions with bounded polling of status queries (never fixed sleeps).
// Kills every node it started when destroyed. dev_certs()/tls_yaml() make a TLS cluster's
// certificates (scripts/gen-dev-certs.sh) and config sections. Used by tests/chaos/cluster,
// tests/integration/cluster and bench/cluster. Not thread-safe.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/local_cluster.hpp"
#include "runtime/cluster/node_system.hpp"

namespace dmlp::testing {

/// Certificates of a dev CA for each of the space-separated `names` in `dir`; returns `dir`.
inline std::string dev_certs(const std::string& dir, const std::string& names) {
  const char* src = std::getenv("DMLP_SOURCE_DIR");
  auto cmd = std::string{src ? src : "."} + "/scripts/gen-dev-certs.sh " + dir + " " + names +
             " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return dir;
}

/// A config's tls: section with the certificate of `name` from dev_certs(`dir`, ...).
inline std::string tls_yaml(const std::string& dir, const std::string& name) {
  return "tls:\n  enabled: true\n  ca: " + dir + "/ca.pem\n  certificate: " + dir + "/" + name +
         ".pem\n  key: " + dir + "/" + name + ".key\n";
}

/// The client side of dev_certs(`dir`, "... client").
inline runtime::tls_options client_tls(const std::string& dir) {
  return runtime::tls_options{true, dir + "/ca.pem", dir + "/client.pem", dir + "/client.key", ""};
}

/// A local cluster owned by a test.
class cluster_harness {
public:
  using ms = std::chrono::milliseconds;

  /// `nodes` nodes (head + workers) with `replicas` workload members; ports from `port_slot`.
  cluster_harness(uint32_t nodes, uint32_t replicas, uint32_t port_slot,
                  runtime::tls_options tls = {}) {
    const char* bin = std::getenv("DMLP_BIN_DIR");
    binary_ = std::string{bin ? bin : "build/bin"} + "/dmlp-node";
    opts_.nodes = nodes;
    opts_.replicas = replicas;
    // 21000–31999: below Linux's ephemeral range (32768 and up), where an outgoing connection
    // of any process may hold the port and the node could not bind it.
    opts_.base_port = static_cast<uint16_t>(21000 + (getpid() % 110) * 100 + port_slot * 10);
    opts_.dir =
        "/tmp/dmlp-cluster-test-" + std::to_string(getpid()) + "-" + std::to_string(port_slot);
    opts_.node_binary = binary_;
    runtime::configure_client_system(cfg_, tls);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    client_ = std::make_unique<runtime::cluster_client>(*sys_, tls, ms{1500});
  }

  ~cluster_harness() {
    for (auto& n : nodes_)
      if (runtime::process_alive(n.pid)) {
        kill(n.pid, SIGCONT);
        runtime::signal_and_wait(n.pid, SIGKILL, ms{3000});
      }
  }

  /// Writes the configs (call edit_config() after, before launch_all()).
  void write() {
    auto nodes = runtime::write_local_cluster(opts_);
    ASSERT_TRUE(nodes) << caf::to_string(nodes.error());
    nodes_ = *nodes;
  }

  /// Appends `text` to node `name`'s YAML (e.g. a tls: section).
  void append_config(const std::string& name, const std::string& text) {
    std::ofstream out{node(name).config, std::ios::app};
    out << text;
  }

  /// Launches every node and waits until the head sees all of them up.
  void launch_all(ms limit = ms{20000}) {
    for (auto& n : nodes_)
      ASSERT_FALSE(runtime::launch_node(dir(), binary_, n));
    ASSERT_TRUE(wait_for([&] { return up_count("head") == nodes_.size(); }, limit))
        << "cluster did not come up; logs in " << dir();
  }

  /// write() + launch_all().
  void start() {
    write();
    launch_all();
  }

  /// A cluster of `nodes` nodes that talk TLS (dev certificates of one CA for every node and a
  /// client), written and launched, with `replicas` squarers in the workload; client_yaml()
  /// holds the client's tls: section.
  static std::unique_ptr<cluster_harness> start_tls(uint32_t nodes, uint32_t port_slot,
                                                    uint32_t replicas = 0) {
    auto certs = dev_certs("/tmp/dmlp-cluster-test-" + std::to_string(getpid()) + "-" +
                               std::to_string(port_slot) + "-certs",
                           "client head" + worker_names(nodes));
    auto h = std::make_unique<cluster_harness>(nodes, replicas, port_slot, client_tls(certs));
    h->write();
    for (auto& n : h->nodes_)
      h->append_config(n.name, tls_yaml(certs, n.name));
    h->launch_all();
    h->client_yaml_ = certs + "/client.yaml";
    std::ofstream{h->client_yaml_} << tls_yaml(certs, "client");
    return h;
  }

  /// start_tls(): a YAML with the client's tls: section (`--config` of the CLI).
  const std::string& client_yaml() const { return client_yaml_; }

  /// The directory of configs and logs.
  std::string dir() const {
    return nodes_.empty() ? opts_.dir
                          : nodes_.front().config.substr(0, nodes_.front().config.rfind('/'));
  }

  runtime::local_node& node(const std::string& name) {
    for (auto& n : nodes_)
      if (n.name == name)
        return n;
    throw std::runtime_error("no node " + name);
  }

  /// Sends `sig` to node `name` (SIGKILL waits for the exit).
  void signal(const std::string& name, int sig) {
    auto& n = node(name);
    if (sig == SIGKILL)
      runtime::signal_and_wait(n.pid, SIGKILL, ms{5000});
    else
      kill(n.pid, sig);
  }

  /// Starts node `name` again with the same config (same port): a new incarnation.
  void relaunch(const std::string& name) {
    auto& n = node(name);
    if (runtime::process_alive(n.pid))
      runtime::signal_and_wait(n.pid, SIGKILL, ms{5000});
    ASSERT_FALSE(runtime::launch_node(dir(), binary_, n));
    agents_.erase(name);
  }

  /// Status as node `name` sees it.
  caf::expected<cluster_status> status(const std::string& name) {
    auto agent = agent_of(name);
    if (!agent)
      return agent.error();
    auto st = client_->status(*agent);
    if (!st)
      agents_.erase(name);
    return st;
  }

  /// The member entry for `about` in `observer`'s view (state joining if unknown).
  member_info member(const std::string& observer, const std::string& about) {
    if (auto st = status(observer))
      for (auto& m : st->nodes)
        if (m.name == about)
          return m;
    return member_info{};
  }

  /// Members in state up as `observer` sees them.
  size_t up_count(const std::string& observer) {
    size_t n = 0;
    if (auto st = status(observer))
      for (auto& m : st->nodes)
        n += m.state == member_state::up ? 1 : 0;
    return n;
  }

  /// The workload counters (completed, failed, placements "child@node") via node `via`.
  caf::expected<std::tuple<uint64_t, uint64_t, std::vector<std::string>>>
  workload(const std::string& via = "head") {
    auto agent = agent_of(via);
    if (!agent)
      return agent.error();
    auto wl = client_->resolve(*agent, "workload");
    if (!wl)
      return wl.error();
    return client_->workload_stats(*wl);
  }

  /// Nodes that currently host squarers, from every reachable node's status ("" excluded).
  std::map<std::string, size_t> hosts(const std::vector<std::string>& nodes) {
    std::map<std::string, size_t> result;
    for (const auto& n : nodes)
      if (auto st = status(n))
        for (const auto& h : st->hosted)
          result[st->node] += h.role == "squarer" ? 1 : 0;
    return result;
  }

  /// Polls `pred` every 20 ms until it holds or `limit` passes.
  static bool wait_for(const std::function<bool()>& pred, ms limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred())
        return true;
      std::this_thread::sleep_for(ms{20});
    }
    return pred();
  }

  /// Whether node `name`'s log contains `text`.
  bool log_contains(const std::string& name, const std::string& text) {
    std::ifstream in{dir() + "/" + name + ".log"};
    std::stringstream s;
    s << in.rdbuf();
    return s.str().find(text) != std::string::npos;
  }

  /// How many actors of `role` node `name` started for supervisors (its agent logs each start).
  size_t role_starts(const std::string& name, const std::string& role) {
    std::ifstream in{dir() + "/" + name + ".log"};
    size_t count = 0;
    for (std::string line; std::getline(in, line);)
      count += line.find("(" + role + ") for a supervisor") != std::string::npos ? 1 : 0;
    return count;
  }

  runtime::local_cluster_options& options() { return opts_; }
  caf::actor_system& system() { return *sys_; }
  runtime::cluster_client& client() { return *client_; }

  caf::expected<caf::actor> agent_of(const std::string& name) {
    auto& n = node(name);
    auto i = agents_.find(name);
    if (i != agents_.end() && i->second.first == n.pid)
      return i->second.second;
    auto agent = client_->connect(n.address);
    if (agent)
      agents_[name] = {n.pid, *agent};
    return agent;
  }

private:
  // " worker-1 … worker-(nodes − 1)": the names write_local_cluster gives the workers.
  static std::string worker_names(uint32_t nodes) {
    std::string names;
    for (uint32_t i = 1; i < nodes; ++i)
      names += " worker-" + std::to_string(i);
    return names;
  }

  std::string binary_;
  std::string client_yaml_;
  runtime::local_cluster_options opts_;
  std::vector<runtime::local_node> nodes_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<runtime::cluster_client> client_;
  std::map<std::string, std::pair<int, caf::actor>> agents_;
};

} // namespace dmlp::testing
