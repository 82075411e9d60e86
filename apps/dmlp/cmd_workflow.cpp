// `dmlp workflow run FILE.yaml`, `dmlp workflow resume RUN` and `dmlp workflow gc`: runs a
// workflow (configs/pipelines/*.yaml) in-process under a supervisor (the metadata actor, then
// the run's engine; rest_for_one), prints each step's state changes, and records everything
// in the metadata database. A killed `run` is continued by `resume RUN` without redoing
// finished steps. `gc` drops memo entries not hit within the horizon and deletes their
// orphaned artifact files below the artifact root.
// Step types: the generic built-ins (docs/workflow.md); roles add theirs in
// make_step_registry() below, from apps/ code.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "actors/workflow/memo_policy.hpp"
#include "actors/workflow/workflow_engine.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/storage.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::cli {

namespace {

struct workflow_flags {
  std::string file;
  std::string run_id;
  std::string db;
  std::string artifacts;
  std::vector<std::string> parameters;
  std::string horizon = "7d";
  std::string timeout = "24h";
  bool json = false;
};

/// The step types the CLI's engine knows.
std::shared_ptr<const workflow::step_registry> make_step_registry() {
  auto registry = std::make_shared<workflow::step_registry>();
  workflow::register_builtin_steps(*registry);
  return registry;
}

std::string db_path(const workflow_flags& flags) {
  return flags.db.empty() ? metadata::default_database_path() : flags.db;
}

/// Runs (or resumes, when `spec` is absent) one workflow; returns the exit code.
int execute(const workflow_flags& flags, std::optional<workflow::workflow_spec> spec,
            const std::string& command) {
  auto fail = [&](const std::string& line) {
    std::cerr << "dmlp workflow " << command << ": " << line << "\n";
    return 1;
  };
  auto timeout = workflow::parse_duration(flags.timeout);
  if (!timeout)
    return fail(describe(timeout.error()));
  metadata::metadata_options md;
  md.path = db_path(flags);
  auto slash = md.path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    if (auto err = runtime::make_directories(md.path.substr(0, slash)))
      return fail(describe(err));
  // Open once here so that a corrupt or locked database is reported before anything starts.
  if (auto probe = metadata::metadata_store::open(md, metadata::system_clock_ms()); !probe)
    return fail(describe(probe.error()));
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  metadata::register_metadata_errors(cfg);
  workflow::register_workflow_errors(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  workflow::run_setup setup;
  setup.run_id = flags.run_id;
  if (spec) {
    if (setup.run_id.empty())
      setup.run_id = workflow::fresh_run_id(spec->name);
    if (auto err = workflow::override_parameters(*spec, flags.parameters))
      return fail(describe(err));
  }
  setup.spec = std::move(spec);
  setup.registry = make_step_registry();
  setup.listener = caf::actor_cast<caf::actor>(self);
  setup.options.artifact_root =
      flags.artifacts.empty() ? workflow::default_artifact_root() : flags.artifacts;
  runtime::supervisor_spec tree{"workflow", runtime::strategy::rest_for_one};
  tree.add(metadata::metadata_child(md))
      .add(workflow::workflow_run_child(setup, "workflow/metadata"));
  auto root = runtime::spawn_supervisor(sys, tree, runtime::make_services(sys));
  self->monitor(root);
  if (!flags.json)
    std::cout << "run " << setup.run_id << "\n";
  std::string status;
  std::string failure;
  nlohmann::json steps = nlohmann::json::object();
  bool running = true;
  while (running) {
    self->receive(
        [&](wf_step_atom, const std::string&, const std::string& instance,
            const std::string& state) {
          steps[instance] = state;
          if (!flags.json)
            std::cout << "  " << instance << ": " << state << "\n";
        },
        [&](wf_done_atom, const std::string&, const std::string& final_status,
            const std::string& why) {
          status = final_status;
          failure = why;
          running = false;
        },
        [&](caf::down_msg& down) {
          failure = "the workflow supervisor stopped: " + describe(down.reason);
          status = "failed";
          running = false;
        },
        caf::after(*timeout) >>
            [&] {
              failure = "no result within " + flags.timeout;
              status = "failed";
              running = false;
            });
  }
  self->send_exit(root, caf::exit_reason::user_shutdown);
  if (flags.json) {
    std::cout << nlohmann::json{{"run", setup.run_id},
                                {"status", status},
                                {"failure", failure},
                                {"db", md.path},
                                {"steps", steps}}
                     .dump()
              << "\n";
  } else {
    std::cout << "run " << setup.run_id << " " << status << "\n";
    if (!failure.empty())
      std::cerr << "dmlp workflow " << command << ": " << failure << "\n";
  }
  return status == "succeeded" ? 0 : 1;
}

int gc(const workflow_flags& flags) {
  auto fail = [](const caf::error& err) {
    std::cerr << "dmlp workflow gc: " << describe(err) << "\n";
    return 1;
  };
  auto horizon = workflow::parse_duration(flags.horizon);
  if (!horizon)
    return fail(horizon.error());
  metadata::metadata_options md;
  md.path = db_path(flags);
  auto now = metadata::system_clock_ms();
  auto store = metadata::metadata_store::open(md, now);
  if (!store)
    return fail(store.error());
  auto result = (*store)->memo_gc(workflow::memo_gc_cutoff(now, *horizon));
  if (!result)
    return fail(result.error());
  auto root = flags.artifacts.empty() ? workflow::default_artifact_root() : flags.artifacts;
  auto removed = workflow::remove_artifact_files(result->orphan_uris, root);
  if (flags.json)
    std::cout << nlohmann::json{{"entries_removed", result->keys.size()},
                                {"files_removed", removed}}
                     .dump()
              << "\n";
  else
    std::cout << "removed " << result->keys.size() << " memo entries and " << removed
              << " artifact files\n";
  return 0;
}

} // namespace

void add_workflow_command(CLI::App& app, command_context& ctx) {
  workflow::register_workflow_error_names();
  auto flags = std::make_shared<workflow_flags>();
  auto cmd = app.add_subcommand("workflow", "Run workflows (DAGs of steps) and manage memos");
  cmd->require_subcommand(1);
  auto common = [flags](CLI::App* sub) {
    sub->add_option("--db", flags->db, "Metadata database (default $DMLP_HOME/metadata.db)");
    sub->add_option("--artifacts", flags->artifacts,
                    "Artifact root (default $DMLP_HOME/artifacts)");
    sub->add_flag("--json", flags->json, "Print one JSON object as the last line");
  };
  auto run = cmd->add_subcommand("run", "Run a workflow file");
  run->add_option("file", flags->file, "Workflow YAML")->required();
  run->add_option("--run-id", flags->run_id, "Run id (default <workflow>-<ms>-<hex>)");
  run->add_option("-p,--parameter", flags->parameters, "Workflow parameter key=value");
  run->add_option("--timeout", flags->timeout, "Give up after this long (default 24h)");
  common(run);
  run->callback([&ctx, flags] {
    auto spec = workflow::load_workflow_file(flags->file);
    if (!spec) {
      std::cerr << "dmlp workflow run: " << describe(spec.error()) << "\n";
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = execute(*flags, std::move(*spec), "run");
  });
  auto resume = cmd->add_subcommand("resume", "Continue a run that was interrupted");
  resume->add_option("run", flags->run_id, "Run id")->required();
  resume->add_option("--timeout", flags->timeout, "Give up after this long (default 24h)");
  common(resume);
  resume->callback([&ctx, flags] { ctx.exit_code = execute(*flags, std::nullopt, "resume"); });
  auto collect = cmd->add_subcommand("gc", "Drop memo entries not hit within a horizon");
  collect->add_option("--horizon", flags->horizon, "e.g. 12h or 7d (default 7d)");
  common(collect);
  collect->callback([&ctx, flags] { ctx.exit_code = gc(*flags); });
}

} // namespace dmlp::cli
