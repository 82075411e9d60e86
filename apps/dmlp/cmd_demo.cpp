// `dmlp demo supervision`: runs the supervision demo tree (apps/demo/supervision_demo.hpp) while
// the fault injector kills random actors, prints restarts as they happen, then drains the work
// and checks that nothing was lost or double-counted.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "apps/demo/supervision_demo.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/config.hpp"
#include "runtime/fault_injector.hpp"
#include "runtime/logging.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::cli {

namespace {

struct demo_flags {
  double seconds = 10;
  uint32_t kill_every_ms = 50;
  uint32_t workers = 4;
  uint64_t seed = 42;
  std::string config;
  bool json = false;
};

// Reads the optional demo config: `workers`, `pool_restarts_per_second`, `logging:`.
caf::error load_demo_config(const std::string& path, demo::demo_options& options,
                            runtime::logging_options& logging) {
  auto reader = runtime::config_reader::from_file(path);
  if (!reader)
    return reader.error();
  if (auto err = reader->read("workers", options.workers))
    return err;
  if (auto err = reader->read("pool_restarts_per_second", options.pool_restarts_per_second))
    return err;
  auto log_section = reader->section("logging");
  if (!log_section)
    return log_section.error();
  if (auto err = runtime::read_logging_options(*log_section, logging))
    return err;
  return reader->finish();
}

int run_supervision_demo(const demo_flags& flags, CLI::App& command) {
  using namespace std::chrono;
  demo::demo_options options;
  options.workers = flags.workers;
  runtime::logging_options logging;
  logging.level = "warn";
  if (!flags.config.empty())
    if (auto err = load_demo_config(flags.config, options, logging)) {
      std::cerr << "dmlp demo supervision: " << describe(err) << "\n";
      return 2;
    }
  if (command.count("--workers") > 0)
    options.workers = flags.workers;
  if (options.workers == 0) {
    std::cerr << "dmlp demo supervision: --workers must be at least 1\n";
    return 2;
  }
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto services =
      runtime::make_services(sys, runtime::make_node_logger("local", logging), flags.seed);
  auto snapshots = std::make_shared<runtime::memory_snapshot_store>();
  auto root = runtime::spawn_supervisor(sys, demo::make_demo_spec(options, snapshots), services);
  runtime::fault_injector injector{sys, root, "demo", flags.seed};

  caf::scoped_actor self{sys};
  self->join(services.events);
  self->monitor(root);
  uint64_t kills = 0, restarts = 0, escalations = 0;
  bool root_died = false;
  auto start = steady_clock::now();
  auto deadline = start + duration_cast<steady_clock::duration>(duration<double>(flags.seconds));
  auto next_kill = start + milliseconds{flags.kill_every_ms};
  while (!root_died && steady_clock::now() < deadline) {
    auto wait = std::min(next_kill, deadline) - steady_clock::now();
    self->receive(
        [&](const supervision_event& event) {
          if (event.kind == supervision_event_kind::restarted) {
            ++restarts;
            if (!flags.json)
              std::cout << "restart  " << event.supervisor << "/" << event.child << " (#"
                        << event.restarts << ")\n";
          } else if (event.kind == supervision_event_kind::escalated) {
            ++escalations;
            if (!flags.json)
              std::cout << "escalate " << event.supervisor << ": " << event.reason << "\n";
          }
        },
        [&](const caf::down_msg&) { root_died = true; },
        caf::after(duration_cast<milliseconds>(std::max(wait, steady_clock::duration::zero()))) >>
            [] {});
    if (flags.kill_every_ms > 0 && steady_clock::now() >= next_kill) {
      next_kill += milliseconds{flags.kill_every_ms};
      if (auto killed = injector.kill_random("demo", caf::exit_reason::kill)) {
        ++kills;
        if (!flags.json)
          std::cout << "kill     " << killed->path << "\n";
      }
    }
  }
  if (root_died) {
    std::cerr << "dmlp demo supervision: the root supervisor died\n";
    return 1;
  }
  auto totals = demo::drain(sys, services);
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {}, caf::after(seconds{30}) >> [] {});
  if (!totals) {
    std::cerr << "dmlp demo supervision: " << describe(totals.error()) << "\n";
    return 1;
  }
  bool consistent = totals->committed == totals->issued &&
                    totals->value_sum == demo::expected_sum(totals->issued);
  auto elapsed = duration<double>(steady_clock::now() - start).count();
  if (!flags.json)
    std::cout << "done: " << kills << " kills, " << restarts << " restarts, " << escalations
              << " escalations; " << totals->committed << " items committed, " << totals->lost
              << " redone after kills; results " << (consistent ? "exact" : "INCONSISTENT") << "\n";
  nlohmann::json summary{{"kills", kills},
                         {"restarts", restarts},
                         {"escalations", escalations},
                         {"work_done", totals->committed},
                         {"work_lost", totals->lost},
                         {"work_issued", totals->issued},
                         {"consistent", consistent},
                         {"seconds", elapsed}};
  if (flags.json)
    std::cout << summary.dump() << std::endl;
  return consistent ? 0 : 1;
}

} // namespace

void add_demo_command(CLI::App& app, command_context& ctx) {
  auto* demo_cmd = app.add_subcommand("demo", "Run a built-in demonstration");
  demo_cmd->require_subcommand(1);
  auto flags = std::make_shared<demo_flags>();
  auto* supervision = demo_cmd->add_subcommand(
      "supervision", "A three-level supervision tree doing checked work while actors are killed");
  supervision->add_option("--seconds", flags->seconds, "How long to run")->capture_default_str();
  supervision
      ->add_option("--kill-every-ms", flags->kill_every_ms,
                   "Kill a random actor this often (0: never)")
      ->capture_default_str();
  supervision->add_option("--workers", flags->workers, "Squarers in the worker pool")
      ->capture_default_str();
  supervision->add_option("--seed", flags->seed, "Seed of the fault injector and back-off jitter")
      ->capture_default_str();
  supervision->add_option("--config", flags->config, "YAML file (configs/demo/supervision.yaml)");
  supervision->add_flag("--json", flags->json, "Print the results as one JSON line last");
  supervision->callback(
      [flags, supervision, &ctx] { ctx.exit_code = run_supervision_demo(*flags, *supervision); });
}

} // namespace dmlp::cli
