// `dmlp pipeline run FILE.yaml` and `dmlp pipeline resume RUN`: the book's end-to-end project
// as one workflow (configs/pipelines/fashion_mnist.yaml): ingest (memoized), three trainings in
// parallel, each a gang admitted by the scheduler and distributed over its trainers, selection
// of the best model by test accuracy, serving it (replicated, autoscaled, hot-swapped when a
// better one lands), and a smoke load against the endpoint. One process by default:
//   pipeline (rest_for_one)
//     metadata      SQLite metadata store actor
//     scheduler     gang scheduler with the embedded node (absent with --seeds: the cluster's)
//     run-<id>      workflow engine; its step actors run the jobs (each job its own tree)
//   serving/<name>  the served model's tree (router, replicas, autoscaler) + HTTP front end
// Prints one line per step state and a progress bar per training job, writes the run report
// (apps/pipeline/run_report.hpp), and with --json prints the summary as the last line.
// A failed run names the failing step; running it again (or `resume RUN`) reuses every step
// that finished (memoization, resume). With --seeds the cluster's scheduler admits the training
// jobs and each job's trainers run on the nodes it granted (coordinator, master and shards stay
// in this process, as do selection and serving); --config names a node YAML whose tls: section
// connects this process to a TLS cluster.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include "actors/ingest/disk_cache.hpp"
#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_json.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "actors/models/errors.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/serving/errors.hpp"
#include "actors/training/errors.hpp"
#include "actors/workflow/workflow_engine.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "apps/dmlp/command.hpp"
#include "apps/pipeline/gang_admission.hpp"
#include "apps/pipeline/pipeline_steps.hpp"
#include "apps/pipeline/run_report.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/node_capacity.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/logging.hpp"
#include "runtime/storage.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

namespace fs = std::filesystem;

namespace dmlp::cli {

namespace {

using json = nlohmann::json;

struct pipeline_flags {
  std::string file;
  std::string run_id;
  std::string db;
  std::string artifacts;
  std::string report_dir;
  std::string cache_dir;
  std::vector<std::string> parameters;
  std::vector<std::string> seeds;
  std::string config;
  std::string timeout = "24h";
  bool keep_serving = false;
  bool json = false;
};

constexpr const char* scheduler_path = "pipeline/scheduler";

/// The stop signals, blocked in every thread so that --keep-serving can wait for them.
sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

/// Where the scheduler is: the embedded one in the tree, or the cluster's.
pipeline::scheduler_resolver make_resolver(caf::actor_system& sys,
                                           const runtime::runtime_services& svc,
                                           const std::vector<std::string>& seeds,
                                           const runtime::tls_options& tls) {
  if (seeds.empty())
    return [svc]() -> caf::expected<caf::actor> {
      if (auto s = svc.names->get(scheduler_path))
        return s;
      return caf::make_error(step_errc::unavailable, "the embedded scheduler is not running");
    };
  auto client = std::make_shared<runtime::cluster_client>(sys, tls);
  auto mtx = std::make_shared<std::mutex>();
  return [client, mtx, seeds]() -> caf::expected<caf::actor> {
    std::lock_guard<std::mutex> guard{*mtx};
    auto agent = client->connect_any(seeds);
    if (!agent)
      return agent.error();
    return client->resolve(*agent, scheduler::scheduler_registry_name);
  };
}

/// The served model's upstream lineage, or null when nothing was served.
json served_lineage(const std::string& db, const json& summary) {
  auto dir = summary["serving"].value("served_model_dir", "");
  if (dir.empty())
    return nullptr;
  metadata::metadata_options options;
  options.path = db;
  options.read_only = true;
  auto store = metadata::metadata_store::open(options, 0);
  if (!store)
    return nullptr;
  auto artifact = (*store)->find_artifact("file://" + dir);
  if (!artifact)
    return nullptr;
  auto graph = (*store)->lineage(artifact->id, metadata::lineage_direction::upstream);
  return graph ? metadata::to_json(*graph) : json(nullptr);
}

void print_summary(const json& s, const std::string& report_dir,
                   const pipeline::report_files& files) {
  std::cout << "run " << s["run_id"].get<std::string>() << " " << s["status"].get<std::string>()
            << " in " << s["seconds"].get<double>() << " s\n";
  for (const auto& m : s["models"]) {
    char line[240];
    std::snprintf(line, sizeof line, "  %-12s test accuracy %.4f  trained in %.1f s%s",
                  m["name"].get<std::string>().c_str(), m["test_accuracy"].get<double>(),
                  m["train_seconds"].get<double>(), m["memoized"].get<bool>() ? " (memoized)" : "");
    std::cout << line << "\n";
  }
  if (s["selected"].is_string())
    std::cout << "selected " << s["selected"].get<std::string>() << " (test accuracy "
              << s["selected_accuracy"] << ")\n";
  const auto& sv = s["serving"];
  if (sv.contains("url"))
    std::cout << "served at " << sv["url"].get<std::string>() << "/v1/models/"
              << sv.value("name", "") << ":predict (version " << sv.value("served_version", 0)
              << ")\n";
  if (sv.contains("requests_per_s"))
    std::cout << "smoke load: " << sv.value("requests", 0) << " requests, "
              << sv["requests_per_s"].get<double>() << " requests/s, p99 "
              << sv["p99_ms"].get<double>() << " ms, " << sv.value("errors", 0) << " errors\n";
  if (!s["memoized_steps"].empty())
    std::cout << "memoized: " << s["memoized_steps"].dump() << "\n";
  std::cout << "report: " << report_dir << " (";
  for (size_t i = 0; i < files.written.size(); ++i)
    std::cout << (i ? ", " : "") << files.written[i];
  std::cout << ")\n";
  std::cout << "log: " << s.value("log", "") << "\n";
  if (!files.plot_note.empty())
    std::cout << "plots: " << files.plot_note << "\n";
}

int execute(const pipeline_flags& flags, std::optional<workflow::workflow_spec> spec,
            const std::string& command) {
  auto started = std::chrono::steady_clock::now();
  auto fail = [&](const std::string& line) {
    std::cerr << "dmlp pipeline " << command << ": " << line << "\n";
    return 1;
  };
  auto timeout = workflow::parse_duration(flags.timeout);
  if (!timeout)
    return fail(describe(timeout.error()));
  metadata::metadata_options md;
  md.path = flags.db.empty() ? metadata::default_database_path() : flags.db;
  auto slash = md.path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    if (auto err = runtime::make_directories(md.path.substr(0, slash)))
      return fail(describe(err));
  // A corrupt or locked database is reported before anything starts.
  if (auto probe = metadata::metadata_store::open(md, metadata::system_clock_ms()); !probe)
    return fail(describe(probe.error()));
  if (flags.keep_serving) {
    auto signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  auto cluster_settings = runtime::load_client_options(flags.config);
  if (!cluster_settings)
    return fail("--config " + flags.config + ": " + describe(cluster_settings.error()));
  auto tls = cluster_settings->tls;
  if (tls.enabled && flags.seeds.empty())
    return fail("--config: TLS settings apply to the nodes of --seeds; there are none");
  caf::actor_system_config cfg;
  if (flags.seeds.empty()) {
    runtime::configure_actor_system(cfg);
  } else {
    runtime::configure_client_system(cfg, tls);
  }
  metadata::register_metadata_errors(cfg);
  workflow::register_workflow_errors(cfg);
  serving::register_serving_errors(cfg);
  training::register_training_errors(cfg);
  models::register_model_errors(cfg);
  ingest::register_ingest_errors(cfg);
  workflow::run_setup setup;
  setup.run_id = flags.run_id;
  if (spec) {
    if (setup.run_id.empty())
      setup.run_id = workflow::fresh_run_id(spec->name);
    if (auto err = workflow::override_parameters(*spec, flags.parameters))
      return fail(describe(err));
  }
  setup.spec = std::move(spec);
  setup.options.artifact_root =
      flags.artifacts.empty() ? workflow::default_artifact_root() : flags.artifacts;
  auto run_dir = fs::path{setup.options.artifact_root} / setup.run_id;
  auto report_dir = flags.report_dir.empty() ? (run_dir / "report").string() : flags.report_dir;
  if (auto err = runtime::make_directories(run_dir.string()))
    return fail(describe(err));
  // Every role's log lines go to the run's log file; the terminal shows the live view.
  runtime::logging_options logging;
  logging.file = (run_dir / "pipeline.log").string();
  logging.console = false;
  auto log = runtime::make_node_logger("pipeline", logging);
  spdlog::set_default_logger(log);

  caf::actor_system sys{cfg};
  auto svc = runtime::make_services(sys, log);
  caf::scoped_actor self{sys};
  setup.listener = caf::actor_cast<caf::actor>(self);

  // With --json, stdout carries only the summary line; the live view goes to stderr.
  auto& live = flags.json ? std::cerr : std::cout;
  auto terminal = ::isatty(flags.json ? STDERR_FILENO : STDOUT_FILENO) != 0;
  auto context = std::make_shared<pipeline::pipeline_context>();
  context->progress = std::make_shared<pipeline::progress_board>(live, terminal);
  context->serving =
      std::make_shared<pipeline::serving_host>(sys, (run_dir / "serving").string(), svc);
  context->cache_dir = flags.cache_dir;
  context->seeds = flags.seeds;
  context->tls = tls;
  context->admit =
      pipeline::scheduler_admission(sys, make_resolver(sys, svc, flags.seeds, tls), *timeout);
  auto registry = std::make_shared<workflow::step_registry>();
  workflow::register_builtin_steps(*registry);
  pipeline::register_pipeline_steps(*registry, context);
  setup.registry = registry;

  runtime::supervisor_spec tree{"pipeline", runtime::strategy::rest_for_one};
  tree.add(metadata::metadata_child(md));
  if (flags.seeds.empty()) {
    // The embedded node offers what this process may use; trainers ask for shares of it.
    auto capacity = runtime::detect_node_capacity();
    scheduler::scheduler_config sc;
    sc.nodes = {scheduler::embedded_node(
        "local", scheduler::resources{static_cast<double>(capacity.cpus),
                                      static_cast<double>(capacity.memory_mb), 0})};
    tree.add(scheduler::scheduler_child("scheduler", sc)
                 .with_snapshots(std::make_shared<runtime::memory_snapshot_store>()));
  }
  tree.add(workflow::workflow_run_child(setup, "pipeline/metadata"));
  auto root = runtime::spawn_supervisor(sys, tree, svc);
  self->monitor(root);
  context->progress->line("run " + setup.run_id);

  std::string status;
  std::string failure;
  for (bool running = true; running;) {
    self->receive([&](wf_step_atom, const std::string&, const std::string& instance,
                      const std::string& state) { context->progress->step(instance, state); },
                  [&](wf_done_atom, const std::string&, const std::string& final_status,
                      const std::string& why) {
                    status = final_status;
                    failure = why;
                    running = false;
                  },
                  [&](caf::down_msg& down) {
                    failure = "the pipeline supervisor stopped: " + describe(down.reason);
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
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json summary;
  {
    metadata::metadata_options ro = md;
    ro.read_only = true;
    auto store = metadata::metadata_store::open(ro, 0);
    auto detail =
        store ? (*store)->show_run(setup.run_id) : caf::expected<md_run_detail>{store.error()};
    if (!detail)
      return fail("cannot read run " + setup.run_id + ": " + describe(detail.error()));
    summary = pipeline::summarize(*detail, status, failure, seconds);
    summary["report"] = report_dir;
    summary["log"] = logging.file;
  }
  auto files = pipeline::write_report(report_dir, summary, served_lineage(md.path, summary));
  if (!files)
    std::cerr << "dmlp pipeline " << command << ": report: " << describe(files.error()) << "\n";
  if (flags.json)
    std::cout << summary.dump() << std::endl;
  else
    print_summary(summary, report_dir, files ? *files : pipeline::report_files{});
  if (status == "succeeded" && flags.keep_serving && !context->serving->url().empty()) {
    context->progress->line("serving until SIGINT or SIGTERM");
    auto signals = stop_signals();
    int sig = 0;
    sigwait(&signals, &sig);
  }
  context->serving->stop();
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->wait_for(root);
  if (status != "succeeded")
    return fail(failure.empty() ? "the run failed" : failure);
  return 0;
}

} // namespace

void add_pipeline_command(CLI::App& app, command_context& ctx) {
  workflow::register_workflow_error_names();
  auto flags = std::make_shared<pipeline_flags>();
  auto cmd = app.add_subcommand("pipeline", "Run the end-to-end ML pipeline (ingest → train × 3 "
                                            "→ select → serve → smoke load)");
  cmd->require_subcommand(1);
  auto common = [flags](CLI::App* sub) {
    sub->add_option("--db", flags->db, "Metadata database (default $DMLP_HOME/metadata.db)");
    sub->add_option("--artifacts", flags->artifacts,
                    "Artifact root (default $DMLP_HOME/artifacts)");
    sub->add_option("--report-dir", flags->report_dir,
                    "Report directory (default <artifacts>/<run>/report)");
    sub->add_option("--cache-dir", flags->cache_dir, "Ingest cache root (default ingest's)");
    sub->add_option("--seeds", flags->seeds,
                    "host:port of cluster nodes: the cluster's scheduler admits the jobs and "
                    "their trainers run on the granted nodes")
        ->delimiter(',');
    sub->add_option("--config", flags->config,
                    "with --seeds: node YAML whose tls: section to connect with");
    sub->add_option("--timeout", flags->timeout, "Give up after this long (default 24h)");
    sub->add_flag("--keep-serving", flags->keep_serving,
                  "After the run, keep serving until SIGINT/SIGTERM");
    sub->add_flag("--json", flags->json, "Print the run summary as one JSON line last");
  };
  auto run = cmd->add_subcommand("run", "Run a pipeline file");
  run->add_option("file", flags->file, "Pipeline (workflow) YAML")->required();
  run->add_option("--run-id", flags->run_id, "Run id (default <name>-<ms>-<hex>)");
  run->add_option("-p,--parameter", flags->parameters, "Pipeline parameter key=value");
  common(run);
  run->callback([&ctx, flags] {
    auto spec = workflow::load_workflow_file(flags->file);
    if (!spec) {
      std::cerr << "dmlp pipeline run: " << describe(spec.error()) << "\n";
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = execute(*flags, std::move(*spec), "run");
  });
  auto resume = cmd->add_subcommand("resume", "Continue an interrupted run");
  resume->add_option("run", flags->run_id, "Run id")->required();
  common(resume);
  resume->callback([&ctx, flags] { ctx.exit_code = execute(*flags, std::nullopt, "resume"); });
}

} // namespace dmlp::cli
