// `dmlp chaos kill|node`: faults for a running cluster.
//   dmlp chaos kill --seeds 127.0.0.1:7100 --actor head/workload-keeper/workload/driver
//   dmlp chaos kill --seeds 127.0.0.1:7100 --random [--role squarer] [--reason kill]
//                   [--config NODE.yaml]   (its tls: section, for a TLS cluster)
//   dmlp chaos node --dir .dmlp-cluster --node worker-2 (--kill | --stop | --cont | --restart)
// `kill` walks the supervision trees registered as "tree/<path>" (every node's root, the
// workload subtree where it runs) with the fault injector (runtime/fault_injector.hpp); --role
// limits --random to role actors the node agents report as hosted with that role. `node`
// signals a process of `dmlp cluster up`.
#include <csignal>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/local_cluster.hpp"
#include "runtime/cluster/node_options.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/fault_injector.hpp"

namespace dmlp::cli {

namespace {

struct kill_flags {
  std::string seeds = "127.0.0.1:7100";
  std::string actor;
  bool random = false;
  std::string role;
  std::string reason = "kill";
  std::string config;
  uint64_t seed = 0;
  bool json = false;
};

int fail(const std::string& command, const std::string& why) {
  std::cerr << "dmlp chaos " << command << ": " << why << std::endl;
  return 1;
}

int chaos_kill(const kill_flags& f) {
  if (f.actor.empty() == !f.random)
    return fail("kill", "give exactly one of --actor NAME or --random");
  auto reason = runtime::parse_exit_reason(f.reason);
  if (!reason)
    return fail("kill", "--reason: expected kill, shutdown, error or normal");
  auto options = runtime::load_client_options(f.config);
  if (!options)
    return fail("kill", "--config " + f.config + ": " + describe(options.error()));
  caf::actor_system_config cfg;
  runtime::configure_client_system(cfg, options->tls);
  caf::actor_system sys{cfg};
  runtime::cluster_client client{sys, options->tls, std::chrono::seconds{3}};
  std::vector<std::string> seeds;
  std::stringstream list{f.seeds};
  for (std::string s; std::getline(list, s, ',');)
    seeds.push_back(s);
  auto agent = client.connect_any(seeds);
  if (!agent)
    return fail("kill", describe(agent.error()));
  auto st = client.status(*agent);
  if (!st)
    return fail("kill", describe(st.error()));
  // Role actors hosted anywhere, by path (for --role).
  std::set<std::string> role_paths;
  if (!f.role.empty())
    for (const auto& m : st->nodes)
      if (m.state == member_state::up && m.agent)
        if (auto ms = client.status(m.agent))
          for (const auto& h : ms->hosted)
            if (h.role == f.role)
              role_paths.insert(h.path);
  std::mt19937_64 rng{f.seed != 0 ? f.seed : std::random_device{}()};
  struct candidate {
    std::string tree;
    caf::actor root;
    std::string path;
  };
  std::vector<candidate> candidates;
  for (const auto& name : st->names) {
    if (name.name.rfind("tree/", 0) != 0)
      continue;
    auto root_path = name.name.substr(5);
    if (!f.actor.empty()) {
      if (f.actor.rfind(root_path + "/", 0) == 0)
        candidates.push_back({root_path, name.handle, f.actor});
      continue;
    }
    runtime::fault_injector walker{sys, name.handle, root_path, rng()};
    auto entries = walker.walk();
    if (!entries)
      continue;
    for (const auto& e : *entries)
      if (e.kind == child_kind::worker && (f.role.empty() || role_paths.count(e.path) > 0))
        candidates.push_back({root_path, name.handle, e.path});
  }
  if (candidates.empty())
    return fail("kill", f.actor.empty() ? "no actor matches" : "no tree contains " + f.actor);
  auto pick = candidates[std::uniform_int_distribution<size_t>{0, candidates.size() - 1}(rng)];
  runtime::fault_injector injector{sys, pick.root, pick.tree, rng()};
  auto killed = injector.kill_by_name(pick.path, *reason);
  if (!killed)
    return fail("kill", describe(killed.error()));
  std::cout << "killed " << killed->path << " (actor " << killed->handle.id() << ") with reason "
            << f.reason << std::endl;
  if (f.json)
    std::cout << nlohmann::json{{"killed", killed->path},
                                {"actor_id", killed->handle.id()},
                                {"reason", f.reason}}
              << std::endl;
  return 0;
}

int chaos_node(const std::string& dir, const std::string& node_name, const std::string& action) {
  auto nodes = runtime::load_nodes(dir);
  if (!nodes)
    return fail("node", describe(nodes.error()));
  auto it = std::find_if(nodes->begin(), nodes->end(),
                         [&](const runtime::local_node& n) { return n.name == node_name; });
  if (it == nodes->end())
    return fail("node", "no node " + node_name + " in " + dir + "/nodes.tsv");
  auto& n = *it;
  if (action == "restart") {
    auto old_pid = n.pid;
    if (runtime::process_alive(n.pid))
      runtime::signal_and_wait(n.pid, SIGKILL, std::chrono::seconds{5});
    auto binary = runtime::executable_dir() + "/dmlp-node";
    if (auto err = runtime::launch_node(dir, binary, n))
      return fail("node", describe(err));
    if (auto err = runtime::save_nodes(dir, *nodes))
      return fail("node", describe(err));
    std::cout << "restarted " << n.name << " at " << n.address << ": pid " << old_pid << " -> "
              << n.pid << std::endl;
    return 0;
  }
  if (!runtime::process_alive(n.pid))
    return fail("node", n.name + " (pid " + std::to_string(n.pid) + ") is not running");
  int sig = action == "kill" ? SIGKILL : action == "stop" ? SIGSTOP : SIGCONT;
  if (kill(n.pid, sig) != 0)
    return fail("node", "kill(" + std::to_string(n.pid) + ") failed");
  if (sig == SIGKILL)
    runtime::signal_and_wait(n.pid, SIGKILL, std::chrono::seconds{5});
  std::cout << (action == "kill"   ? "killed (SIGKILL) "
                : action == "stop" ? "froze (SIGSTOP) "
                                   : "resumed (SIGCONT) ")
            << n.name << " pid " << n.pid << std::endl;
  return 0;
}

} // namespace

void add_chaos_command(CLI::App& app, command_context& ctx) {
  auto* cmd = app.add_subcommand("chaos", "kill actors or fault nodes of a running cluster");
  cmd->require_subcommand(1);
  auto kf = std::make_shared<kill_flags>();
  auto* kill_cmd = cmd->add_subcommand("kill", "kill an actor anywhere in the cluster");
  kill_cmd->add_option("--seeds", kf->seeds, "host:port,... of nodes to ask");
  kill_cmd->add_option("--actor", kf->actor,
                       "supervision path, e.g. head/workload-keeper/workload/driver");
  kill_cmd->add_flag("--random", kf->random, "kill a random worker actor");
  kill_cmd->add_option("--role", kf->role, "with --random: only role actors of this role");
  kill_cmd->add_option("--reason", kf->reason, "kill (default), shutdown, error or normal");
  kill_cmd->add_option("--seed", kf->seed, "random seed (default: random)");
  kill_cmd->add_option("--config", kf->config, "node YAML whose tls: section to connect with");
  kill_cmd->add_flag("--json", kf->json, "print one JSON object last");
  kill_cmd->callback([&ctx, kf] { ctx.exit_code = chaos_kill(*kf); });

  auto dir = std::make_shared<std::string>(".dmlp-cluster");
  auto node = std::make_shared<std::string>();
  auto action = std::make_shared<std::string>();
  auto* node_cmd = cmd->add_subcommand("node", "fault a node process of `dmlp cluster up`");
  node_cmd->add_option("--dir", *dir, "directory of `cluster up` (default .dmlp-cluster)");
  node_cmd->add_option("--node", *node, "node name, e.g. worker-2")->required();
  auto* g = node_cmd->add_option_group("action")->require_option(1);
  for (const char* a : {"kill", "stop", "cont", "restart"})
    g->add_flag_callback(std::string{"--"} + a, [action, a] { *action = a; });
  node_cmd->callback(
      [&ctx, dir, node, action] { ctx.exit_code = chaos_node(*dir, *node, *action); });
}

} // namespace dmlp::cli
