// `dmlp train`: trains one of the registered models on Fashion-MNIST with data-parallel
// workers, in one process (the embedded cluster) or on a cluster's nodes (--seeds). Run:
//   build/bin/dmlp train --model cnn|dropout|batch_norm --strategy allreduce|ps --workers N
//       [--min-workers A --max-workers B] [--ps-shards M] [--consistency sync|async|ssp
//       --staleness S] [--epochs E] [--batch-size B] [--threads T] [--out DIR] [--json]
//       [--train-samples N] [--test-samples N] [--optimizer adam|sgd] [--lr X]
//       [--seeds HOST:PORT,... [--placement any|node:NAME|label:K=V] [--config NODE.yaml]]
//       [--progress-every N]
// With --seeds the trainers run on the nodes of a running cluster (coordinator, job master and
// PS shards stay in this process); --config names a node YAML whose tls: section connects this
// process to a TLS cluster. Shows a progress bar on a terminal (plain lines otherwise),
// saves the model with its preprocessing record and metrics under --out, and with --json prints as
// the last line
//   {"model":…,"strategy":…,"workers":N,"epochs":E,"test_accuracy":…,"train_images_per_s":…,
//    "steps":…,"restarts":…,"samples_trained":…,"partial_pushes":…}
// (partial_pushes: ps batches of lost trainers that reached some shards only; job_report).
// --train-samples / --test-samples train and test on the first N samples only (short runs).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "actors/training/errors.hpp"
#include "actors/training/nccl_backend.hpp"
#include "apps/dmlp/command.hpp"
#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"

namespace dmlp::cli {

namespace {

struct train_flags {
  training::job_options job;
  std::string strategy = "allreduce";
  std::string consistency = "sync";
  std::string config;
  bool json = false;
  uint32_t progress_every = 100;
};

int run_train(train_flags& flags) {
  training::register_training_error_names();
  auto& job = flags.job;
  if (!flags.config.empty()) {
    auto client = runtime::load_client_options(flags.config);
    if (!client) {
      std::cerr << "dmlp train: --config " << flags.config << ": " << describe(client.error())
                << "\n";
      return 1;
    }
    job.tls = client->tls;
  }
  if (auto err = training::validate(job)) {
    std::cerr << "dmlp train: " << describe(err) << "\n";
    return 1;
  }
  if (flags.strategy == "allreduce") {
    job.kind = training::strategy::allreduce;
    auto nccl = training::nccl_probe();
    if (!nccl)
      std::cerr << "dmlp train: NCCL not usable (" << describe(nccl.error())
                << "); using the CPU ring all-reduce\n";
  } else {
    job.kind = training::strategy::ps;
  }
  training::parse_consistency(flags.consistency, job.mode);
  bool tty = ::isatty(STDERR_FILENO) != 0;
  auto start = std::chrono::steady_clock::now();
  job.on_progress = [&, tty, start](uint64_t steps, uint64_t epoch, double loss, uint64_t samples,
                                    uint32_t workers) {
    static uint64_t last_line = 0;
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto rate = secs > 0 ? samples / secs : 0.0;
    uint64_t epoch_samples = job.train_samples > 0 ? job.train_samples : 60000;
    double total = double(epoch_samples) * job.epochs;
    double eta = rate > 0 ? (total - samples) / rate : 0.0;
    double frac = total > 0 ? std::min(1.0, samples / total) : 0.0;
    char line[200];
    std::snprintf(line, sizeof line,
                  "epoch %llu/%u step %llu loss %.4f %.0f img/s workers %u ETA %.0fs",
                  static_cast<unsigned long long>(std::min<uint64_t>(epoch + 1, job.epochs)),
                  job.epochs, static_cast<unsigned long long>(steps), loss, rate, workers, eta);
    if (tty) {
      int width = 24;
      int filled = static_cast<int>(frac * width);
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
                << line << "   " << std::flush;
    } else if (steps >= last_line + flags.progress_every) {
      last_line = steps;
      std::cerr << line << "\n";
    }
  };
  auto report = training::run_training(job);
  if (tty)
    std::cerr << "\n";
  if (!report) {
    std::cerr << "dmlp train: " << describe(report.error()) << "\n";
    return 1;
  }
  std::cout << "trained " << job.model << " (" << flags.strategy << ", " << job.workers
            << " workers) for " << job.epochs << " epochs: test accuracy " << report->test_accuracy
            << ", " << report->train_images_per_s << " images/s, " << report->steps << " steps, "
            << report->restarts << " restarts";
  if (report->version > 0)
    std::cout << "; saved version " << report->version << " under " << job.out_dir;
  std::cout << "\n";
  if (flags.json) {
    nlohmann::json j{{"model", job.model},
                     {"strategy", flags.strategy},
                     {"workers", job.workers},
                     {"epochs", job.epochs},
                     {"test_accuracy", report->test_accuracy},
                     {"train_images_per_s", report->train_images_per_s},
                     {"steps", report->steps},
                     {"restarts", report->restarts},
                     {"samples_trained", report->samples_trained},
                     {"partial_pushes", report->partial_pushes}};
    std::cout << j.dump() << "\n";
  }
  return 0;
}

} // namespace

void add_train_command(CLI::App& app, command_context& ctx) {
  auto flags = std::make_shared<train_flags>();
  auto& job = flags->job;
  auto cmd = app.add_subcommand("train", "train a model with data-parallel workers");
  cmd->add_option("--model", job.model, "cnn, dropout or batch_norm")->capture_default_str();
  cmd->add_option("--strategy", flags->strategy, "allreduce or ps")
      ->check(CLI::IsMember({"allreduce", "ps"}))
      ->capture_default_str();
  cmd->add_option("--workers", job.workers, "trainers started")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  cmd->add_option("--min-workers", job.min_workers, "workers needed to start (default: workers)");
  cmd->add_option("--max-workers", job.max_workers, "most workers (default: workers)");
  cmd->add_option("--ps-shards", job.ps_shards, "parameter-server shards")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  cmd->add_option("--consistency", flags->consistency, "sync, async or ssp")
      ->check(CLI::IsMember({"sync", "async", "ssp"}))
      ->capture_default_str();
  cmd->add_option("--staleness", job.staleness, "ssp: most steps ahead of the slowest")
      ->capture_default_str();
  cmd->add_option("--epochs", job.epochs, "epochs")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  cmd->add_option("--batch-size", job.batch_size, "samples per trainer and step")
      ->check(CLI::Range(1u, 65536u))
      ->capture_default_str();
  cmd->add_option("--threads", job.threads, "libtorch threads per trainer")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  cmd->add_option("--out", job.out_dir, "model directory to save the trained version in");
  cmd->add_option("--train-samples", job.train_samples,
                  "train on the first N samples per epoch (0 = all; for short runs)");
  cmd->add_option("--test-samples", job.test_samples, "evaluate on the first N test samples");
  cmd->add_option("--optimizer", job.optimizer.kind, "adam or sgd (with momentum)")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  cmd->add_option("--lr", job.optimizer.lr, "base learning rate")->capture_default_str();
  cmd->add_option("--data-dir", job.data_dir, "dataset directory");
  cmd->add_option("--seeds", job.seeds,
                  "host:port of cluster nodes: trainers run on the cluster's nodes")
      ->delimiter(',');
  cmd->add_option("--placement", job.placement,
                  "with --seeds: where trainers run (any, node:NAME, label:KEY=VALUE)")
      ->capture_default_str();
  cmd->add_option("--config", flags->config,
                  "with --seeds: node YAML whose tls: section to connect with");
  cmd->add_option("--progress-every", flags->progress_every,
                  "steps between progress lines when stderr is not a terminal")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "print a JSON object as the last line");
  cmd->callback([flags, &ctx] { ctx.exit_code = run_train(*flags); });
}

} // namespace dmlp::cli
