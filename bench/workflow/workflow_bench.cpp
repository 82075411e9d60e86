// Engine overhead per step: a workflow that fans out into N no-op steps (default 1,000), run
// by the engine with a real metadata actor (each step recorded twice: running, complete),
// against a baseline measured in the same run: spawning N no-op step actors and asking each
// to run (what any engine must do, without bookkeeping). Prints µs per step for both and
// their ratio; with --json the last line is one JSON object.
// Usage: workflow_bench [--steps N] [--json]
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <unistd.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/workflow/workflow_engine.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::workflow;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double baseline(caf::actor_system& sys, const step_registry& registry, int steps) {
  auto type = registry.find("noop");
  std::promise<void> done;
  auto finished = done.get_future();
  auto start = std::chrono::steady_clock::now();
  sys.spawn([&, type](caf::event_based_actor* self) {
    auto left = std::make_shared<int>(steps);
    for (int i = 0; i < steps; ++i) {
      auto step = type->spawn(self->system());
      step_request req;
      req.instance = "noop[" + std::to_string(i) + "]";
      self->request(step, std::chrono::seconds{60}, step_run_atom::value, req)
          .then(
              [=, &done](const step_reply&) {
                self->send_exit(step, caf::exit_reason::user_shutdown);
                if (--*left == 0) {
                  done.set_value();
                  self->quit();
                }
              },
              [](caf::error&) { std::exit(1); });
    }
  });
  finished.get();
  return seconds_since(start);
}

double engine_run(caf::actor_system& sys, std::shared_ptr<const step_registry> registry,
                  const std::filesystem::path& dir, int steps, const std::string& run) {
  metadata::metadata_options md;
  md.path = (dir / (run + ".db")).string();
  auto meta = metadata::spawn_metadata_actor(sys, md);
  if (!meta) {
    std::cerr << describe(meta.error()) << "\n";
    std::exit(1);
  }
  workflow_spec w{"fanout"};
  w.add(step_spec{"make", "range"}.with_parameter("count", steps))
      .add(step_spec{"step", "noop"}.after("make").for_each("{{steps.make.outputs.items}}"));
  caf::scoped_actor self{sys};
  run_setup setup;
  setup.run_id = run;
  setup.spec = w;
  setup.registry = std::move(registry);
  setup.metadata = *meta;
  setup.listener = caf::actor_cast<caf::actor>(self);
  setup.options.artifact_root = (dir / "artifacts").string();
  setup.options.sample_interval = std::chrono::milliseconds{0};
  auto start = std::chrono::steady_clock::now();
  spawn_workflow_run(sys, setup);
  std::string status;
  bool waiting = true;
  while (waiting)
    self->receive([](wf_step_atom, const std::string&, const std::string&, const std::string&) {},
                  [&](wf_done_atom, const std::string&, const std::string& s, const std::string&) {
                    status = s;
                    waiting = false;
                  },
                  caf::after(std::chrono::minutes{5}) >> [&] { waiting = false; });
  auto elapsed = seconds_since(start);
  self->send_exit(*meta, caf::exit_reason::user_shutdown);
  if (status != "succeeded") {
    std::cerr << "workflow_bench: run " << run << " ended '" << status << "'\n";
    std::exit(1);
  }
  return elapsed;
}

} // namespace

int main(int argc, char** argv) {
  int steps = 1000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0)
      json = true;
    else if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
      steps = std::stoi(argv[++i]);
  }
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  metadata::register_metadata_errors(cfg);
  register_workflow_errors(cfg);
  caf::actor_system sys{cfg};
  auto registry = std::make_shared<step_registry>();
  register_builtin_steps(*registry);
  auto dir = std::filesystem::temp_directory_path() / ("dmlp-wf-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto base = baseline(sys, *registry, steps);
  auto engine = engine_run(sys, registry, dir, steps, "bench-1");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  double base_us = base / steps * 1e6;
  double engine_us = engine / steps * 1e6;
  std::cout << "workflow engine, fan-out of " << steps << " no-op steps\n"
            << "  baseline (spawn + ask each step actor): " << base_us << " us/step\n"
            << "  engine (DAG + metadata records)       : " << engine_us << " us/step  (x"
            << engine_us / base_us << ", overhead " << engine_us - base_us << " us/step)\n";
  if (json) {
    nlohmann::json out;
    out["bench"] = "workflow";
    out["steps"] = steps;
    out["baseline_us_per_step"] = base_us;
    out["engine_us_per_step"] = engine_us;
    out["overhead_us_per_step"] = engine_us - base_us;
    out["ratio"] = engine_us / base_us;
    std::cout << out.dump() << "\n";
  }
  return 0;
}
