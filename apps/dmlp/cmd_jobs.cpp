// `dmlp jobs`: submit jobs to the scheduler (actors/scheduler), list the queue with each pending
// job's reason, and cancel jobs.
//   build/bin/dmlp jobs submit configs/jobs/train-small.yaml [--seeds 127.0.0.1:7100] [--json]
//   build/bin/dmlp jobs list --seeds 127.0.0.1:7100 [--json]
//   build/bin/dmlp jobs cancel ID --seeds 127.0.0.1:7100 [--json]
// With --seeds, --config NODE.yaml gives the node YAML whose tls: section this client connects
// with (a TLS cluster); an owner-run job's trainers connect with it too.
// Without --seeds, `submit` starts an embedded scheduler in this process (one node: this
// machine's cores and memory) and runs the job. With --seeds it talks to the cluster's
// scheduler, which the head node (the dmlp-node started without seeds) hosts under the name
// "scheduler". A job with a `training:` section is owner-run: this process waits for the grant,
// runs the training (run_training, as `dmlp train` does; with --seeds its trainers run on the
// granted nodes) and reports the job finished; when the
// scheduler preempts it, the training stops at a step boundary, checkpoints to the job's state
// directory, and resumes from it at the next grant. A job without one is role-run: the
// scheduler spawns its roles on the cluster's nodes with `args`.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "actors/scheduler/job_reader.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/training/errors.hpp"
#include "apps/dmlp/command.hpp"
#include "apps/jobs/training_job.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/scheduler.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/node_options.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::cli {

namespace {

using namespace std::chrono_literals;

// A job file: what to schedule, and what to run once granted.
struct job_file {
  scheduler::job_spec spec;
  std::optional<training::job_options> training;
  std::string args;
};

caf::error read_training(runtime::config_reader& reader, const scheduler::job_spec& spec,
                         training::job_options& job) {
  for (const auto& role : spec.roles)
    if (role.role == "trainer")
      job.workers = role.min;
  std::string strategy = "allreduce", consistency = "sync";
  uint32_t train_samples = 0, test_samples = 0, seed = 1, checkpoint_every = 50;
  caf::error err;
  auto read = [&](const char* key, auto& out) {
    if (!err)
      err = reader.read(key, out);
  };
  read("model", job.model);
  read("strategy", strategy);
  read("workers", job.workers);
  read("min_workers", job.min_workers);
  read("max_workers", job.max_workers);
  read("ps_shards", job.ps_shards);
  read("consistency", consistency);
  read("staleness", job.staleness);
  read("epochs", job.epochs);
  read("batch_size", job.batch_size);
  read("threads", job.threads);
  read("train_samples", train_samples);
  read("test_samples", test_samples);
  read("optimizer", job.optimizer.kind);
  read("lr", job.optimizer.lr);
  read("out", job.out_dir);
  read("data_dir", job.data_dir);
  read("seed", seed);
  read("checkpoint_every", checkpoint_every);
  if (err)
    return err;
  if (strategy == "allreduce")
    job.kind = training::strategy::allreduce;
  else if (strategy == "ps")
    job.kind = training::strategy::ps;
  else
    return caf::make_error(runtime::runtime_errc::config_invalid_value,
                           reader.where("strategy") + ": expected allreduce or ps");
  if (!training::parse_consistency(consistency, job.mode))
    return caf::make_error(runtime::runtime_errc::config_invalid_value,
                           reader.where("consistency") + ": expected sync, async or ssp");
  job.train_samples = train_samples;
  job.test_samples = test_samples;
  job.seed = seed;
  job.checkpoint_every = checkpoint_every;
  if (auto invalid = training::validate(job)) {
    auto section = reader.where("");
    section.pop_back();
    return caf::make_error(runtime::runtime_errc::config_invalid_value,
                           section + ": " + describe(invalid));
  }
  return reader.finish();
}

caf::expected<job_file> read_job_file(const std::string& path) {
  auto reader = runtime::config_reader::from_file(path);
  if (!reader)
    return reader.error();
  job_file file;
  if (auto err = scheduler::read_job_spec(*reader, file.spec))
    return err;
  if (auto err = reader->read("args", file.args))
    return err;
  if (reader->has("training")) {
    auto section = reader->section("training");
    if (!section)
      return section.error();
    training::job_options job;
    if (auto err = read_training(*section, file.spec, job))
      return err;
    file.training = std::move(job);
  }
  if (auto err = reader->finish())
    return err;
  return file;
}

int fail(const std::string& command, const std::string& why) {
  std::cerr << "dmlp jobs " << command << ": " << why << "\n";
  return 1;
}

std::vector<std::string> split_seeds(const std::string& text) {
  std::vector<std::string> seeds;
  std::string item;
  for (char c : text + ",") {
    if (c == ',') {
      if (!item.empty())
        seeds.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return seeds;
}

scheduler::resources this_machine() {
  scheduler::resources capacity;
  capacity.cpus = std::max(1u, std::thread::hardware_concurrency());
  auto pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0)
    capacity.memory_mb = static_cast<double>(pages) * static_cast<double>(page) / (1 << 20);
  return capacity;
}

nlohmann::json placements_json(const std::vector<scheduler::placement>& placements) {
  auto out = nlohmann::json::array();
  for (const auto& p : placements)
    out.push_back({{"role", p.role}, {"index", p.index}, {"node", p.node}});
  return out;
}

std::string placements_text(const std::vector<scheduler::placement>& placements) {
  std::string text;
  for (const auto& p : placements)
    text += (text.empty() ? "" : ", ") + p.role + "-" + std::to_string(p.index) + "@" + p.node;
  return text.empty() ? "-" : text;
}

// The actor system of one command, with the scheduler's errors: a node client of the cluster
// that `node` describes (its tls: section) when given, local otherwise. The config outlives
// the system.
struct command_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  explicit command_system(const runtime::node_options* node) {
    if (node)
      runtime::configure_node_system(cfg, *node);
    else
      runtime::configure_actor_system(cfg, runtime::scheduler_kind::threaded);
    scheduler::register_scheduler_errors(cfg);
    training::register_training_error_names();
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

// The cluster's scheduler, resolved through the first reachable of `seeds`.
caf::expected<caf::actor> cluster_scheduler(caf::actor_system& sys, const std::string& seeds,
                                            const runtime::tls_options& tls) {
  if (seeds.empty())
    return caf::make_error(runtime::cluster_errc::invalid_argument,
                           "needs --seeds (the cluster whose scheduler to ask)");
  runtime::cluster_client client{sys, tls, 3s};
  auto agent = client.connect_any(split_seeds(seeds));
  if (!agent)
    return caf::make_error(runtime::cluster_errc::unreachable,
                           "no node reachable at " + seeds + ": " + describe(agent.error()));
  auto sched = client.resolve(*agent, scheduler::scheduler_registry_name);
  if (!sched)
    return caf::make_error(runtime::cluster_errc::unknown_name,
                           "no scheduler in the cluster at " + seeds +
                               " (the head node hosts it): " + describe(sched.error()));
  return sched;
}

// One training run of an owner-run job on its own thread (the owner keeps answering the
// scheduler meanwhile); it tells `owner` with train_result_atom when run_training returned.
class training_run {
public:
  training_run(const caf::actor& owner, training::job_options job, const std::string& id) {
    job.stop = token_;
    // The first report of a run is its (restored) counters; the next one is its first step.
    job.on_progress = [id, first = std::make_shared<int64_t>(-1)](uint64_t steps, uint64_t, double,
                                                                  uint64_t, uint32_t) {
      if (*first < 0) {
        *first = static_cast<int64_t>(steps);
      } else if (*first != INT64_MAX && static_cast<int64_t>(steps) > *first) {
        *first = INT64_MAX;
        std::cerr << "job " << id << " training (step " << steps << ")" << std::endl;
      }
    };
    thread_ = std::thread{[this, owner, job] {
      report_ = training::run_training(job);
      caf::anon_send(owner, train_result_atom::value);
    }};
  }

  ~training_run() {
    token_->request_stop();
    if (thread_.joinable())
      thread_.join();
  }

  /// Asks the training to stop at a step boundary and save its state.
  void stop() { token_->request_stop(); }

  /// The outcome, once the owner got train_result_atom.
  caf::expected<training::job_report> finish() {
    thread_.join();
    return std::move(report_);
  }

private:
  std::shared_ptr<training::stop_token> token_ = std::make_shared<training::stop_token>();
  caf::expected<training::job_report> report_{caf::error{}};
  std::thread thread_;
};

// Where an owner-run job keeps its state between a preemption and the next grant.
std::string state_dir_of(const training::job_options& job, const std::string& id) {
  auto name = "dmlp-job-" + id + "-" + std::to_string(::getpid());
  auto base = job.out_dir.empty() ? std::filesystem::temp_directory_path()
                                  : std::filesystem::path{job.out_dir};
  return (base / name).string();
}

// Submits `file` owned by a scoped actor, waits for the grant, runs the training, reports it
// finished. A preemption that arrives before the training runs is answered at once; one that
// arrives while it runs stops it at a step boundary, is answered once the state is saved, and
// the training resumes from that state at the next grant. A cancel stops the training too.
// With `seeds` (a cluster), each run's trainers are placed on the nodes of its grant and
// connect with `tls`.
int run_owned(caf::actor_system& sys, const caf::actor& sched, job_file& file, bool json,
              const std::vector<std::string>& seeds = {}, const runtime::tls_options& tls = {}) {
  caf::scoped_actor self{sys};
  std::string id;
  caf::error failure;
  self->request(sched, 10s, sched_submit_atom::value,
                scheduler::job_submission{file.spec, self, ""})
      .receive([&](std::string& assigned) { id = assigned; },
               [&](caf::error& err) { failure = err; });
  if (failure)
    return fail("submit", describe(failure));
  std::cerr << "job " << id << " submitted\n";
  auto job = *file.training;
  job.state_dir = state_dir_of(job, id);
  std::error_code ec;
  std::filesystem::remove_all(job.state_dir, ec);
  std::optional<scheduler::job_grant> grant;
  std::vector<scheduler::placement> placements;
  std::unique_ptr<training_run> run;
  std::optional<caf::response_promise> preempt_answer;
  std::optional<training::job_report> report;
  uint32_t preemptions = 0;
  bool cancelled = false;
  std::string last_reason;
  while (!report && !failure && !(cancelled && !run)) {
    bool quiet = false;
    self->receive(
        [&](scheduler::job_grant& g) {
          if (g.job != id)
            return;
          placements = g.placements;
          if (run || grant)
            return;
          grant = std::move(g);
          std::cerr << "job " << id << " granted: " << placements_text(placements) << "\n";
          auto granted = job;
          if (!seeds.empty()) {
            granted.seeds = seeds;
            granted.tls = tls;
            for (const auto& p : placements)
              if (p.role == "trainer")
                granted.nodes.push_back(p.node);
          }
          run = std::make_unique<training_run>(self, std::move(granted), id);
        },
        [&](sched_preempt_atom, const std::string& job_id) {
          ++preemptions;
          if (!run) {
            grant.reset();
            self->make_response_promise().deliver(job_id);
            return;
          }
          preempt_answer = self->make_response_promise();
          run->stop();
        },
        [&](sched_cancel_atom, const std::string&) {
          cancelled = true;
          if (run)
            run->stop();
        },
        [&](train_result_atom) {
          auto outcome = run->finish();
          run.reset();
          if (!outcome) {
            failure = outcome.error();
          } else if (!outcome->stopped) {
            report = std::move(*outcome);
          } else if (!cancelled) {
            std::cerr << "job " << id << " preempted: checkpointed at step " << outcome->steps
                      << ", waiting for capacity" << std::endl;
            grant.reset();
          }
          if (preempt_answer) {
            preempt_answer->deliver(id);
            preempt_answer.reset();
          }
        },
        caf::after(2s) >> [&] { quiet = true; });
    if (!quiet || grant)
      continue;
    // Still waiting: say why when it changes, and give up on a job no node can ever hold.
    self->request(sched, 10s, sched_list_atom::value)
        .receive(
            [&](std::vector<scheduler::job_status>& jobs) {
              for (const auto& s : jobs)
                if (s.spec.id == id && s.reason != last_reason) {
                  last_reason = s.reason;
                  std::cerr << "job " << id << ": " << s.reason << "\n";
                }
            },
            [&](caf::error& err) { failure = err; });
    if (!failure && last_reason.rfind("infeasible", 0) == 0)
      failure = caf::make_error(scheduler::scheduler_errc::invalid_job, last_reason);
  }
  run.reset();
  std::filesystem::remove_all(job.state_dir, ec);
  if (cancelled)
    return fail("submit", "job " + id + " was cancelled");
  if (failure) {
    self->send(sched, sched_cancel_atom::value, id);
    return fail("submit", "job " + id + ": " + describe(failure));
  }
  scheduler::job_status final_status;
  caf::error unfinished;
  self->request(sched, 10s, sched_finish_atom::value, id)
      .receive([&](scheduler::job_status& s) { final_status = std::move(s); },
               [&](caf::error& err) { unfinished = err; });
  if (unfinished)
    std::cerr << "dmlp jobs submit: job " << id
              << " ran, but the scheduler did not take its end: " << describe(unfinished) << "\n";
  std::cout << "job " << id << " finished: " << job.model << " test accuracy "
            << report->test_accuracy << ", " << report->samples_trained << " samples trained ("
            << job.epochs << " epochs of " << report->epoch_samples << ")";
  if (preemptions > 0)
    std::cout << ", preempted " << preemptions << (preemptions == 1 ? " time" : " times");
  std::cout << "\n";
  if (json)
    std::cout << nlohmann::json{{"id", id},
                                {"state", "finished"},
                                {"placements", placements_json(placements)},
                                {"preemptions",
                                 unfinished ? preemptions : final_status.preemptions},
                                {"epochs", job.epochs},
                                {"epoch_samples", report->epoch_samples},
                                {"samples_trained", report->samples_trained},
                                {"test_accuracy", report->test_accuracy}}
                     .dump()
              << std::endl;
  return 0;
}

// The client settings of `config` (a node YAML; plaintext defaults when empty), which only a
// command that talks to a cluster (--seeds) can use; errors are about --config.
caf::expected<runtime::node_options> client_options(const std::string& config,
                                                    const std::string& seeds) {
  if (!config.empty() && seeds.empty())
    return caf::make_error(runtime::cluster_errc::invalid_argument,
                           "needs --seeds (the cluster it connects to)");
  return runtime::load_client_options(config);
}

std::string config_failure(const std::string& config, const caf::error& err) {
  return "--config " + config + ": " + describe(err);
}

int jobs_submit(const std::string& path, const std::string& seeds, const std::string& config,
                bool json) {
  auto file = read_job_file(path);
  if (!file)
    return fail("submit", describe(file.error()));
  auto options = client_options(config, seeds);
  if (!options)
    return fail("submit", config_failure(config, options.error()));
  if (seeds.empty()) {
    if (!file->training)
      return fail("submit", path + ": a job without a training section needs --seeds (its "
                                   "roles are spawned on the cluster's nodes)");
    command_system cs{nullptr};
    auto& sys = cs.sys;
    scheduler::scheduler_config config;
    config.nodes = {scheduler::embedded_node("local", this_machine())};
    auto sched = scheduler::spawn_scheduler(*sys, config);
    auto rc = run_owned(*sys, sched, *file, json);
    caf::anon_send_exit(sched, caf::exit_reason::user_shutdown);
    return rc;
  }
  command_system cs{&*options};
  auto& sys = cs.sys;
  auto sched = cluster_scheduler(*sys, seeds, options->tls);
  if (!sched)
    return fail("submit", describe(sched.error()));
  if (file->training)
    return run_owned(*sys, *sched, *file, json, split_seeds(seeds), options->tls);
  caf::scoped_actor self{*sys};
  int rc = 0;
  self->request(*sched, 10s, sched_submit_atom::value,
                scheduler::job_submission{file->spec, nullptr, file->args})
      .receive(
          [&](std::string& id) {
            std::cout << "job " << id << " submitted\n";
            if (json)
              std::cout << nlohmann::json{{"id", id}, {"state", "submitted"}}.dump() << std::endl;
          },
          [&](caf::error& err) { rc = fail("submit", describe(err)); });
  return rc;
}

int jobs_list(const std::string& seeds, const std::string& config, bool json) {
  auto options = client_options(config, seeds);
  if (!options)
    return fail("list", config_failure(config, options.error()));
  command_system cs{&*options};
  auto& sys = cs.sys;
  auto sched = cluster_scheduler(*sys, seeds, options->tls);
  if (!sched)
    return fail("list", describe(sched.error()));
  caf::scoped_actor self{*sys};
  int rc = 0;
  self->request(*sched, 10s, sched_list_atom::value)
      .receive(
          [&](std::vector<scheduler::job_status>& jobs) {
            auto out = nlohmann::json::array();
            for (const auto& s : jobs) {
              std::cout << s.spec.id << "  " << to_string(s.state) << "  priority "
                        << s.spec.priority << "  " << s.spec.user << "/" << s.spec.group << "  "
                        << placements_text(s.placements);
              if (!s.reason.empty())
                std::cout << "  (" << s.reason << ")";
              std::cout << "\n";
              out.push_back({{"id", s.spec.id},
                             {"state", to_string(s.state)},
                             {"priority", s.spec.priority},
                             {"user", s.spec.user},
                             {"group", s.spec.group},
                             {"preemptions", s.preemptions},
                             {"placements", placements_json(s.placements)},
                             {"reason", s.reason}});
            }
            if (json)
              std::cout << nlohmann::json{{"jobs", out}}.dump() << std::endl;
          },
          [&](caf::error& err) { rc = fail("list", describe(err)); });
  return rc;
}

int jobs_cancel(const std::string& id, const std::string& seeds, const std::string& config,
                bool json) {
  auto options = client_options(config, seeds);
  if (!options)
    return fail("cancel", config_failure(config, options.error()));
  command_system cs{&*options};
  auto& sys = cs.sys;
  auto sched = cluster_scheduler(*sys, seeds, options->tls);
  if (!sched)
    return fail("cancel", describe(sched.error()));
  caf::scoped_actor self{*sys};
  int rc = 0;
  self->request(*sched, 10s, sched_cancel_atom::value, id)
      .receive(
          [&](scheduler::job_status& s) {
            std::cout << "job " << id << " cancelled\n";
            if (json)
              std::cout << nlohmann::json{{"id", id}, {"state", to_string(s.state)}}.dump()
                        << std::endl;
          },
          [&](caf::error& err) { rc = fail("cancel", describe(err)); });
  return rc;
}

} // namespace

void add_jobs_command(CLI::App& app, command_context& ctx) {
  auto cmd = app.add_subcommand("jobs", "submit, list and cancel scheduled jobs");
  cmd->require_subcommand(1);
  auto seeds = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto file = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();

  auto submit = cmd->add_subcommand("submit", "submit a job file (without --seeds: run it here)");
  submit->add_option("FILE", *file, "job YAML")->required();
  submit->add_option("--seeds", *seeds,
                     "host:port,... of the cluster (its head hosts the "
                     "scheduler)");
  submit->add_option("--config", *config,
                     "with --seeds: node YAML whose tls: section to connect with");
  submit->add_flag("--json", *json, "print a JSON object as the last line");
  submit->callback([&ctx, file, seeds, config, json] {
    ctx.exit_code = jobs_submit(*file, *seeds, *config, *json);
  });

  auto list = cmd->add_subcommand("list", "the scheduler's jobs with each pending job's reason");
  list->add_option("--seeds", *seeds, "host:port,... of the cluster");
  list->add_option("--config", *config, "node YAML whose tls: section to connect with");
  list->add_flag("--json", *json, "print a JSON object as the last line");
  list->callback(
      [&ctx, seeds, config, json] { ctx.exit_code = jobs_list(*seeds, *config, *json); });

  auto cancel = cmd->add_subcommand("cancel", "cancel a job");
  cancel->add_option("ID", *id, "job id")->required();
  cancel->add_option("--seeds", *seeds, "host:port,... of the cluster");
  cancel->add_option("--config", *config, "node YAML whose tls: section to connect with");
  cancel->add_flag("--json", *json, "print a JSON object as the last line");
  cancel->callback([&ctx, id, seeds, config, json] {
    ctx.exit_code = jobs_cancel(*id, *seeds, *config, *json);
  });
}

} // namespace dmlp::cli
