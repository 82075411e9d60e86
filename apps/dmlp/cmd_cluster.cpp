// `dmlp cluster up|down|status`: a local cluster of dmlp-node processes on loopback
// (runtime/cluster/local_cluster.hpp) and the membership of any running cluster.
//   dmlp cluster up --nodes 3 --base-port 7100 --dir .dmlp-cluster
//   dmlp cluster status --seeds 127.0.0.1:7100 --json
//   dmlp cluster down --dir .dmlp-cluster
#include <chrono>
#include <csignal>
#include <iostream>
#include <sstream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/local_cluster.hpp"
#include "runtime/cluster/node_system.hpp"

namespace dmlp::cli {

namespace {

int fail(const std::string& command, const std::string& why) {
  std::cerr << "dmlp " << command << ": " << why << std::endl;
  return 1;
}

std::vector<std::string> split_seeds(const std::string& text) {
  std::vector<std::string> seeds;
  std::stringstream list{text};
  for (std::string s; std::getline(list, s, ',');)
    if (!s.empty())
      seeds.push_back(s);
  return seeds;
}

int cluster_up(const runtime::local_cluster_options& options, double timeout_s, bool json) {
  auto opts = options;
  if (opts.node_binary.empty())
    opts.node_binary = runtime::executable_dir() + "/dmlp-node";
  auto nodes = runtime::write_local_cluster(opts);
  if (!nodes)
    return fail("cluster up", describe(nodes.error()));
  if (auto old = runtime::load_nodes(opts.dir))
    for (const auto& n : *old)
      if (runtime::process_alive(n.pid))
        return fail("cluster up", n.name + " of a previous cluster still runs (pid " +
                                      std::to_string(n.pid) + "): run dmlp cluster down first");
  auto dir = nodes->front().config.substr(0, nodes->front().config.rfind('/'));
  for (auto& n : *nodes) {
    if (auto err = runtime::launch_node(dir, opts.node_binary, n))
      return fail("cluster up", describe(err));
    std::cerr << "started " << n.name << " at " << n.address << " (pid " << n.pid << ")\n";
  }
  if (auto err = runtime::save_nodes(dir, *nodes))
    return fail("cluster up", describe(err));
  caf::actor_system_config cfg;
  runtime::configure_client_system(cfg, {});
  caf::actor_system sys{cfg};
  runtime::cluster_client client{sys, {}, std::chrono::milliseconds{1000}};
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds{static_cast<int64_t>(timeout_s * 1000)};
  size_t up = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& n : *nodes)
      if (!runtime::process_alive(n.pid))
        return fail("cluster up", n.name + " exited; see " + dir + "/" + n.name + ".log");
    if (auto agent = client.connect(nodes->front().address))
      if (auto st = client.status(*agent)) {
        up = 0;
        for (const auto& m : st->nodes)
          up += m.state == member_state::up ? 1 : 0;
        if (up == nodes->size()) {
          if (json)
            std::cout << nlohmann::json{{"dir", dir}, {"nodes", runtime::to_json(*st)["nodes"]}}
                      << std::endl;
          else
            std::cout << "cluster of " << up << " nodes up; state in " << dir << std::endl;
          return 0;
        }
      }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return fail("cluster up", "only " + std::to_string(up) + " of " + std::to_string(nodes->size()) +
                                " nodes up after " + std::to_string(timeout_s) + " s; logs in " +
                                dir);
}

int cluster_down(const std::string& dir, bool json) {
  auto nodes = runtime::load_nodes(dir);
  if (!nodes)
    return fail("cluster down", describe(nodes.error()));
  nlohmann::json stopped = nlohmann::json::array();
  // Workers first, the head last.
  for (auto i = nodes->rbegin(); i != nodes->rend(); ++i) {
    std::string how = "not running";
    if (runtime::process_alive(i->pid)) {
      kill(i->pid, SIGCONT);
      how = runtime::signal_and_wait(i->pid, SIGTERM, std::chrono::seconds{10}) ? "stopped"
                                                                                : "killed";
      if (how == "killed")
        runtime::signal_and_wait(i->pid, SIGKILL, std::chrono::seconds{5});
    }
    std::cerr << i->name << " (pid " << i->pid << "): " << how << "\n";
    stopped.push_back({{"name", i->name}, {"pid", i->pid}, {"result", how}});
  }
  if (json)
    std::cout << nlohmann::json{{"nodes", stopped}} << std::endl;
  return 0;
}

int cluster_status(const std::string& seeds, const std::string& config, bool json) {
  auto options = runtime::load_client_options(config);
  if (!options)
    return fail("cluster status", describe(options.error()));
  caf::actor_system_config cfg;
  runtime::configure_client_system(cfg, options->tls);
  caf::actor_system sys{cfg};
  runtime::cluster_client client{sys, options->tls, options->request_timeout};
  auto agent = client.connect_any(split_seeds(seeds));
  if (!agent)
    return fail("cluster status", describe(agent.error()));
  auto st = client.status(*agent);
  if (!st)
    return fail("cluster status", describe(st.error()));
  if (json) {
    std::cout << runtime::to_json(*st) << std::endl;
    return 0;
  }
  for (const auto& m : st->nodes)
    std::cout << m.name << "\t" << m.host << ":" << m.port << "\tepoch " << m.epoch << "\t"
              << to_string(m.state) << "\thosted " << m.hosted << "\n";
  return 0;
}

} // namespace

void add_cluster_command(CLI::App& app, command_context& ctx) {
  auto* cmd = app.add_subcommand("cluster", "local clusters of dmlp-node processes; membership");
  cmd->require_subcommand(1);

  auto up_opts = std::make_shared<runtime::local_cluster_options>();
  auto up_timeout = std::make_shared<double>(30.0);
  auto up_json = std::make_shared<bool>(false);
  auto* up = cmd->add_subcommand("up", "start N nodes on loopback (head + workers)");
  up->add_option("--nodes", up_opts->nodes, "number of nodes (default 3)");
  up->add_option("--base-port", up_opts->base_port, "port of the head (default 7100)");
  up->add_option("--dir", up_opts->dir, "configs, pids and logs (default .dmlp-cluster)");
  up->add_option("--replicas", up_opts->replicas, "demo workload members (default 3)");
  up->add_option("--node-binary", up_opts->node_binary, "dmlp-node executable");
  up->add_option("--timeout", *up_timeout, "seconds to wait for all nodes (default 30)");
  up->add_flag("--json", *up_json, "print one JSON object last");
  up->callback([&ctx, up_opts, up_timeout, up_json] {
    ctx.exit_code = cluster_up(*up_opts, *up_timeout, *up_json);
  });

  auto down_dir = std::make_shared<std::string>(".dmlp-cluster");
  auto down_json = std::make_shared<bool>(false);
  auto* down = cmd->add_subcommand("down", "stop the nodes of a local cluster");
  down->add_option("--dir", *down_dir, "directory of `cluster up` (default .dmlp-cluster)");
  down->add_flag("--json", *down_json, "print one JSON object last");
  down->callback(
      [&ctx, down_dir, down_json] { ctx.exit_code = cluster_down(*down_dir, *down_json); });

  auto seeds = std::make_shared<std::string>("127.0.0.1:7100");
  auto config = std::make_shared<std::string>();
  auto st_json = std::make_shared<bool>(false);
  auto* status = cmd->add_subcommand("status", "membership as one node sees it");
  status->add_option("--seeds", *seeds, "host:port,... of nodes to ask (first reachable)");
  status->add_option("--config", *config, "node YAML whose tls: section to use");
  status->add_flag("--json", *st_json, "print one JSON object");
  status->callback([&ctx, seeds, config, st_json] {
    ctx.exit_code = cluster_status(*seeds, *config, *st_json);
  });
}

} // namespace dmlp::cli
