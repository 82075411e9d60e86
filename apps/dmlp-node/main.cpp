// dmlp-node: one cluster node. Starts an actor system with the middleman (heartbeat and
// automatic direct connections on; TLS when configured), publishes the node agent, joins the
// seeds, runs the node's supervision tree (with a keeper of the demo workload when
// configured), and on SIGTERM/SIGINT stops the tree in order and leaves the cluster. Works as pid 1
// (it installs its own signal handling).
//
//   build/bin/dmlp-node --config configs/cluster/head.yaml
//   build/bin/dmlp-node --config configs/cluster/worker.yaml --name worker-2 --port 7102
//       --seeds 127.0.0.1:7100 --data-dir /tmp/dmlp/worker-2   (one line)
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "apps/dmlp-node/scheduler_host.hpp"
#include "apps/dmlp-node/workload.hpp"
#include "apps/jobs/trainer_role.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/node_agent.hpp"
#include "runtime/cluster/node_options.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/config.hpp"
#include "runtime/logging.hpp"
#include "runtime/storage.hpp"
#include "runtime/supervisor.hpp"

namespace {

using namespace dmlp;

struct node_config {
  runtime::node_options node;
  node::workload_options workload;
  runtime::logging_options logging;
};

caf::error read_config(const std::string& path, node_config& out) {
  auto reader = runtime::config_reader::from_file(path);
  if (!reader)
    return reader.error();
  if (auto err = runtime::read_node_options(*reader, out.node))
    return err;
  auto wl = reader->section("workload");
  if (!wl)
    return wl.error();
  caf::error err;
  if ((err = wl->read("replicas", out.workload.replicas)) ||
      (err = wl->read("role", out.workload.role)) ||
      (err = wl->read("placement", out.workload.placement)) ||
      (err = wl->read("period", out.workload.period)) || (err = wl->finish()))
    return err;
  auto log = reader->section("logging");
  if (!log)
    return log.error();
  if ((err = runtime::read_logging_options(*log, out.logging)) || (err = log->finish()))
    return err;
  return reader->finish();
}

void on_signal(int) {
  // Only here so that a pid-1 process does not ignore the signal; main() takes it by sigwait.
}

int fail(const std::string& what) {
  std::cerr << "dmlp-node: " << what << std::endl;
  return 2;
}

// Sends `target` an exit and waits (bounded) for it to stop.
void stop_and_wait(caf::actor_system& sys, const caf::actor& target, std::chrono::seconds limit) {
  caf::scoped_actor self{sys};
  self->monitor(target);
  self->send_exit(target, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {}, caf::after(limit) >> [] {});
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"dmlp cluster node"};
  std::string config_path;
  std::string name, host, seeds, data_dir;
  uint32_t port = 0;
  app.add_option("--config", config_path, "node YAML (configs/cluster/*.yaml)");
  app.add_option("--name", name, "node name (overrides node.name)");
  app.add_option("--host", host, "address to publish on (overrides node.host)");
  app.add_option("--port", port, "port (overrides node.port)");
  app.add_option("--seeds", seeds, "host:port,... to join (overrides node.seeds)");
  app.add_option("--data-dir", data_dir, "data directory (overrides node.data_dir)");
  CLI11_PARSE(app, argc, argv);

  node_config cfg;
  if (!config_path.empty())
    if (auto err = read_config(config_path, cfg))
      return fail(describe(err));
  auto& opts = cfg.node;
  if (!name.empty())
    opts.name = name;
  if (!host.empty())
    opts.host = host;
  if (port != 0) {
    if (port > 65535)
      return fail("--port: expected 1..65535");
    opts.port = static_cast<uint16_t>(port);
  }
  if (app.count("--seeds") > 0) {
    opts.seeds.clear();
    std::stringstream list{seeds};
    for (std::string seed; std::getline(list, seed, ',');)
      if (!seed.empty())
        opts.seeds.push_back(seed);
  }
  for (const auto& seed : opts.seeds)
    if (auto addr = runtime::parse_address(seed); !addr)
      return fail(describe(addr.error()));
  if (!data_dir.empty())
    opts.data_dir = data_dir;
  if (opts.name.empty()) {
    // Scaled services (docker compose --scale) share one config: the host name tells them apart.
    char host_name[256] = {0};
    gethostname(host_name, sizeof(host_name) - 1);
    opts.name = host_name;
  }
  if (auto err = runtime::resolve_token(opts))
    return fail(describe(err));
  if (auto err = runtime::validate_tls_files(opts.tls))
    return fail(describe(err));
  if (auto err = runtime::make_directories(opts.data_dir))
    return fail(describe(err));

  // Block the stop signals in every thread (CAF's threads inherit the mask); main sigwaits.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  caf::actor_system_config sys_cfg;
  runtime::configure_node_system(sys_cfg, opts);
  caf::actor_system sys{sys_cfg};
  auto log = runtime::make_node_logger(opts.name, cfg.logging);

  if (cfg.workload.replicas > 0)
    opts.labels.push_back(node::workload_keeper_label);
  auto roles = std::make_shared<runtime::role_registry>();
  node::register_demo_roles(*roles, opts.name);
  // The ring link is plaintext TCP: with TLS the trainers keep CAF's encrypted actor messages.
  training::register_trainer_role(*roles, log,
                                  training::trainer_node_settings{!opts.tls.enabled, opts.host});
  auto view = std::make_shared<runtime::cluster_view>(opts.name, roles);
  auto agent = runtime::spawn_node_agent(sys, runtime::node_agent_config{opts, view, log, 0});
  auto bound = runtime::publish_agent(sys, agent, opts);
  if (!bound) {
    log->error("cannot publish the node agent on {}:{}: {}", opts.host, opts.port,
               describe(bound.error()));
    caf::anon_send_exit(agent, caf::exit_reason::kill);
    return 3;
  }
  caf::anon_send(agent, cl_tick_atom::value);

  runtime::supervisor_spec root{opts.name, runtime::strategy::one_for_one};
  if (cfg.workload.replicas > 0) {
    node::keeper_options keeper;
    keeper.check_every = opts.detector.heartbeat_interval;
    keeper.grace = 2 * opts.detector.down_after;
    keeper.has_seeds = !opts.seeds.empty();
    auto keeper_spec = node::workload_keeper(cfg.workload, keeper, view, agent);
    if (!keeper_spec)
      return fail(describe(keeper_spec.error()));
    root.add(std::move(*keeper_spec));
  }
  // The head (no seeds) hosts the cluster's scheduler (docs/scheduler.md).
  if (opts.seeds.empty())
    root.add(node::scheduler_host(agent, opts.data_dir, log));
  auto tree = runtime::spawn_supervisor(sys, root, runtime::make_services(sys, log));
  caf::anon_send(agent, cl_reg_atom::value, "tree/" + opts.name, tree);
  uint64_t epoch = 0;
  for (const auto& m : view->members())
    if (m.name == opts.name)
      epoch = m.epoch;
  log->info("dmlp-node {} up at {}:{} epoch {} tls={} seeds={}", opts.name, opts.host, *bound,
            epoch, opts.tls.enabled ? "on" : "off", opts.seeds.size());
  if (opts.tls.enabled && !runtime::tls_error_queue_guarded())
    log->warn("CAF's OpenSSL error queue is not guarded: a refused TLS handshake may drop "
              "established connections");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log->info("signal {} received: stopping the supervision tree, then leaving", sig);
  stop_and_wait(sys, tree, std::chrono::seconds{35});
  stop_and_wait(sys, agent, std::chrono::seconds{5});
  log->info("dmlp-node {} stopped", opts.name);
  log->flush();
  return 0;
}
