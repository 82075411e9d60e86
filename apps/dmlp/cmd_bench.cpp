// `dmlp bench all [--only NAME,...] [--quick] [--out FILE] [--bench-dir DIR] [--timeout S]
// [--json]`: runs every benchmark program of the project (build/bin/bench, next to this binary)
// one after the other, each with --json, and prints one table of their ratios against the
// baselines they measured in the same run; writes the JSON report to --out (default
// build/bench-results.json, i.e. next to the bin/ folder of this binary). Which programs and
// which of their numbers: apps/dmlp/bench_suite.cpp. Exit status 1 when a benchmark failed;
// a missed target is reported, not an error (timings on a shared machine are noisy).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "apps/dmlp/bench_suite.hpp"
#include "apps/dmlp/command.hpp"
#include "runtime/cluster/local_cluster.hpp"

namespace dmlp::cli {

namespace {

struct bench_flags {
  std::vector<std::string> only;
  bool quick = false;
  std::string out;
  std::string bench_dir;
  double timeout_s = 1800;
  bool json = false;
};

/// What running one program gave: its exit status (as from waitpid) and its stdout.
struct program_run {
  int status = 0;
  std::string output;
  std::string error;
};

// Runs `command` with stdout captured and stderr passed through (progress), in its own process
// group so a timeout also stops the processes it started.
program_run run_program(const std::vector<std::string>& command, std::chrono::seconds limit) {
  program_run run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    run.error = "cannot create a pipe";
    return run;
  }
  auto pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    run.error = "cannot fork";
    return run;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const auto& arg : command)
      argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  close(fds[1]);
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    auto ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    auto n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0)
      break;
    run.output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) {
    kill(-pid, SIGKILL);
    run.error = "no result within " + std::to_string(limit.count()) + " s";
  }
  waitpid(pid, &run.status, 0);
  return run;
}

std::string join(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words)
    line += (line.empty() ? "" : " ") + w;
  return line;
}

int bench_all(const bench_flags& flags) {
  const auto& catalog = bench_catalog();
  std::vector<const bench_spec*> chosen;
  for (const auto& name : flags.only) {
    auto known = std::find_if(catalog.begin(), catalog.end(),
                              [&](const bench_spec& s) { return s.name == name; });
    if (known == catalog.end()) {
      std::string names;
      for (const auto& s : catalog)
        names += (names.empty() ? "" : ", ") + s.name;
      std::cerr << "dmlp bench all: unknown benchmark '" << name << "' (known: " << names << ")\n";
      return 2;
    }
  }
  for (const auto& spec : catalog)
    if (flags.only.empty() ||
        std::find(flags.only.begin(), flags.only.end(), spec.name) != flags.only.end())
      chosen.push_back(&spec);

  auto bin_dir = runtime::executable_dir();
  auto bench_dir = flags.bench_dir.empty() ? bin_dir + "/bench" : flags.bench_dir;
  auto out_path = flags.out.empty() ? bin_dir + "/../bench-results.json" : flags.out;
  auto limit = std::chrono::seconds{static_cast<int64_t>(flags.timeout_s)};

  std::vector<bench_outcome> outcomes;
  for (size_t i = 0; i < chosen.size(); ++i) {
    const auto& spec = *chosen[i];
    std::vector<std::string> command{bench_dir + "/" + spec.program, "--json"};
    if (flags.quick)
      command.insert(command.end(), spec.quick_arguments.begin(), spec.quick_arguments.end());
    std::cerr << "[" << i + 1 << "/" << chosen.size() << "] " << spec.name << ": " << join(command)
              << "\n";
    if (access(command.front().c_str(), X_OK) != 0) {
      bench_outcome missing;
      missing.name = spec.name;
      missing.command = command;
      missing.error = "no executable " + command.front() + " (build the benchmarks)";
      outcomes.push_back(std::move(missing));
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    auto run = run_program(command, limit);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto outcome = make_bench_outcome(spec, command, seconds, run.status, run.output);
    if (!run.error.empty())
      outcome.error = run.error;
    std::cerr << "      " << (outcome.error.empty() ? "done" : "FAILED: " + outcome.error) << " in "
              << static_cast<int>(seconds + 0.5) << " s\n";
    outcomes.push_back(std::move(outcome));
  }

  auto report = bench_report_json(outcomes, flags.quick);
  std::cout << format_bench_table(outcomes);
  std::ofstream file{out_path};
  file << report.dump(2) << "\n";
  file.close();
  if (!file) {
    std::cerr << "dmlp bench all: cannot write " << out_path << "\n";
    return 1;
  }
  std::cout << "results: " << std::filesystem::path{out_path}.lexically_normal().string() << "\n";
  if (flags.json)
    std::cout << report.dump() << "\n";
  return report["failed"].empty() ? 0 : 1;
}

} // namespace

void add_bench_command(CLI::App& app, command_context& ctx) {
  auto* cmd = app.add_subcommand("bench", "the benchmark suite");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<bench_flags>();
  auto* all = cmd->add_subcommand("all", "run every benchmark and print one table of ratios");
  all->add_option("--only", flags->only, "run only these benchmarks (comma-separated)")
      ->delimiter(',');
  all->add_flag("--quick", flags->quick, "the shortest settings each benchmark offers");
  all->add_option("--out", flags->out, "JSON report (default build/bench-results.json)");
  all->add_option("--bench-dir", flags->bench_dir,
                  "folder of the benchmark programs (default: bench/ next to dmlp)");
  all->add_option("--timeout", flags->timeout_s, "seconds one benchmark may take (default 1800)");
  all->add_flag("--json", flags->json, "print the JSON report as the last line");
  all->callback([&ctx, flags] { ctx.exit_code = bench_all(*flags); });
}

} // namespace dmlp::cli
