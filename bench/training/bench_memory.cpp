// Memory benchmark (issue 5: "Memory: peak RSS of a trainer process ÷ a plain libtorch training
// loop's (target ≤ 1.2)"). Each measurement is a fresh process — this program run again with
// --child — that trains and then reports its own peak resident set (VmHWM, /proc/self/status):
//   dmlp   run_training() with one worker (allreduce, 1 thread): the ingest coordinator, job
//          master and one trainer in one process, N steps of batch 64 on the first N × 64
//          training samples (N = 0: one epoch of the whole split), then the job's evaluation
//          on 100 test samples;
//   plain  the book's recipe as a plain libtorch loop (bench/training/plain_loop.hpp): the same
//          model from the registry, Adam, batch 64, N steps on the same samples.
// Both read the whole Fashion-MNIST split through the same ingest loader and keep it in memory;
// nothing is subtracted (bench/README.md says what each side holds). The two kinds alternate;
// medians of the repetitions. Default: one epoch (N = 0), 3 repetitions; --quick: 60 steps, 1.
// Run: build/bin/bench/bench_memory [--quick] [--steps N] [--reps R] [--json]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/jobs/training_job.hpp"
#include "bench/training/plain_loop.hpp"
#include "messages/errors.hpp"

using namespace dmlp;

namespace {

constexpr uint64_t batch = 64;
constexpr const char* peak_prefix = "vmhwm_kib ";

// This process's peak resident set in KiB; 0 when /proc cannot tell.
long peak_rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

// The measured side of one child process; prints its peak as the last line.
int run_child(const std::string& kind, uint64_t steps) {
  if (kind == "plain") {
    auto rate = bench::plain_training_loop("cnn", steps == 0 ? UINT64_MAX : steps * batch, 1);
    if (!rate) {
      std::cerr << "plain loop failed: " << describe(rate.error()) << "\n";
      return 1;
    }
  } else if (kind == "dmlp") {
    training::job_options o;
    o.kind = training::strategy::allreduce;
    o.workers = 1;
    o.threads = 1;
    o.batch_size = batch;
    o.train_samples = steps * batch; // 0: the whole split, which the job trains without a copy
    o.test_samples = 100;
    auto report = training::run_training(o);
    if (!report) {
      std::cerr << "training job failed: " << describe(report.error()) << "\n";
      return 1;
    }
  } else {
    std::cerr << "bench_memory: unknown child kind '" << kind << "' (plain or dmlp)\n";
    return 2;
  }
  std::cout << peak_prefix << peak_rss_kib() << std::endl;
  return 0;
}

// Runs this program again as a child of `kind` and returns its peak RSS in KiB (0 on failure).
long measure_in_child(const std::string& kind, uint64_t steps) {
  int fds[2];
  if (::pipe(fds) != 0)
    return 0;
  auto steps_text = std::to_string(steps);
  auto pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl("/proc/self/exe", "bench_memory", "--child", kind.c_str(), "--steps",
            steps_text.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return 0;
  }
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "bench_memory: the " << kind << " child failed (status " << status << ")\n";
    return 0;
  }
  auto at = output.rfind(peak_prefix);
  if (at == std::string::npos)
    return 0;
  return std::strtol(output.c_str() + at + std::string{peak_prefix}.size(), nullptr, 10);
}

long median(std::vector<long> xs) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  uint64_t steps = 0;
  int reps = 3;
  bool json = false;
  std::string child;
  auto usage = [] {
    std::cerr << "usage: bench_memory [--quick] [--steps N] [--reps R] [--json]\n";
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--quick") {
      steps = 60;
      reps = 1;
    } else if (a == "--steps" && i + 1 < argc) {
      steps = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--child" && i + 1 < argc) {
      child = argv[++i];
    } else {
      return usage();
    }
  }
  if (reps <= 0)
    return usage();
  if (!child.empty())
    return run_child(child, steps);
  std::vector<long> plain, dmlp_job;
  for (int r = 0; r < reps; ++r) {
    plain.push_back(measure_in_child("plain", steps));
    dmlp_job.push_back(measure_in_child("dmlp", steps));
    std::cerr << "rep " << r << ": plain " << plain.back() << " KiB, dmlp " << dmlp_job.back()
              << " KiB\n";
    if (plain.back() == 0 || dmlp_job.back() == 0)
      return 1;
  }
  auto p = median(plain);
  auto d = median(dmlp_job);
  auto ratio = static_cast<double>(d) / static_cast<double>(p);
  std::printf("peak RSS over %llu steps (0: one epoch): dmlp trainer process %ld KiB, plain "
              "libtorch loop %ld "
              "KiB, ratio %.3f (target <= 1.2)\n",
              static_cast<unsigned long long>(steps), d, p, ratio);
  std::fflush(stdout);
  if (json) {
    nlohmann::json out{{"steps", steps},
                       {"reps", reps},
                       {"rss_dmlp_kib", d},
                       {"rss_plain_kib", p},
                       {"rss_ratio", ratio},
                       {"rss_dmlp_kib_all", dmlp_job},
                       {"rss_plain_kib_all", plain}};
    std::cout << out.dump() << "\n";
  }
  return 0;
}
