// Training benchmarks (issue 5), ratios measured in one run with interleaved repetitions:
//   scaling_<strategy>   images/s of 2 workers × 1 thread ÷ (2 × images/s of 1 worker × 1 thread)
//                        for allreduce and ps (targets ≥ 0.95 and ≥ 0.90); the 1-worker job
//                        runs alone on the machine
//   scaling_vs_pair_<strategy>
//                        the same 2-worker images/s ÷ the summed images/s of two independent
//                        1-worker jobs running at the same time in two processes (the issue's
//                        "two independent 1-thread processes"): the machine's two cores shared
//                        the same way, so memory and cache contention cancel out
//   pair_slower_over_faster_<strategy>
//                        images/s of the slower of those two jobs ÷ the faster's: how unequal
//                        the machine's cores are (a synchronous job runs at the pace of its
//                        slower trainer)
//   vs_plain_<strategy>  2 workers × 1 thread ÷ a plain single-process libtorch loop on 2
//                        threads (the machine's compute limit)
//   two_workers_{compute,comm,wait}_share_<strategy>
//                        shares of the 2-worker run's trainer time (2 × wall time) spent
//                        computing, exchanging and waiting for batches; the rest is overhead
//                        between steps (master round trips, applying updates)
//   rss_ratio            peak RSS of a 1-worker training process ÷ a plain libtorch loop's,
//                        each in a forked child (target ≤ 1.2; bench_memory measures the same
//                        in freshly executed processes)
// Run: build/bin/bench/training_bench [--samples N] [--reps R] [--json]
// (--pair-child allreduce|ps is the mode this program starts its own children in.)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/jobs/training_job.hpp"
#include "bench/training/child_process.hpp"
#include "bench/training/plain_loop.hpp"

using namespace dmlp;

namespace {

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs[xs.size() / 2];
}

// One pass of the book's recipe in plain libtorch (0 when the data cannot be read).
double plain_loop(uint64_t samples, int threads) {
  auto rate = bench::plain_training_loop("cnn", samples, threads);
  return rate ? *rate : 0.0;
}

training::job_report job_run(training::strategy kind, uint32_t workers, uint64_t samples) {
  training::job_options o;
  o.kind = kind;
  o.workers = workers;
  o.train_samples = samples;
  o.test_samples = 100;
  o.ps_shards = 2;
  auto r = training::run_training(o);
  return r ? *r : training::job_report{};
}

double job_rate(training::strategy kind, uint32_t workers, uint64_t samples) {
  return job_run(kind, workers, samples).train_images_per_s;
}

const char* strategy_name(training::strategy kind) {
  return kind == training::strategy::ps ? "ps" : "allreduce";
}

// A pair child: warms up (loads the dataset into this process's cache, starts libtorch), says
// "ready", waits for "go" and prints its 1-worker job's images/s.
int pair_child(training::strategy kind, uint64_t samples) {
  // The job logs to stdout; the parent reads only the protocol's lines there.
  auto* protocol = ::fdopen(::dup(STDOUT_FILENO), "w");
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  job_rate(kind, 1, 64);
  std::fprintf(protocol, "ready\n");
  std::fflush(protocol);
  std::string go;
  if (!std::getline(std::cin, go) || go != "go")
    return 1;
  std::fprintf(protocol, "rate %f\n", job_rate(kind, 1, samples));
  std::fclose(protocol);
  return 0;
}

struct pair_rates {
  double slower = 0;
  double faster = 0;
};

// Images/s of two 1-worker jobs in two child processes, released together once both are warm;
// zeros when either fails.
pair_rates pair_rate(training::strategy kind, uint64_t samples) {
  std::vector<bench::child_process> children;
  try {
    for (int i = 0; i < 2; ++i)
      children.push_back(bench::spawn_child({"training_bench", "--pair-child", strategy_name(kind),
                                             "--samples", std::to_string(samples)}));
    for (auto& c : children)
      bench::expect_line(c, "pair child", "ready");
    for (auto& c : children)
      bench::write_line(c, "go");
    std::vector<double> rates;
    for (auto& c : children)
      rates.push_back(std::stod(bench::expect_line(c, "pair child", "rate ")));
    for (auto& c : children)
      bench::wait_child(c, "pair child");
    return {std::min(rates[0], rates[1]), std::max(rates[0], rates[1])};
  } catch (const std::exception& e) {
    std::cerr << "two independent 1-worker jobs: " << e.what() << "\n";
    bench::stop_children(children);
    return {};
  }
}

// Peak RSS in KiB of `fn` run in a forked child.
template <class F> long child_rss(F fn) {
  auto pid = ::fork();
  if (pid == 0) {
    fn();
    ::_exit(0);
  }
  int status = 0;
  struct rusage ru;
  ::wait4(pid, &status, 0, &ru);
  return ru.ru_maxrss;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t samples = 6400;
  int reps = 3;
  bool json = false;
  std::string pair_child_of;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      json = true;
    else if (a == "--pair-child" && i + 1 < argc)
      pair_child_of = argv[++i];
    else if (a == "--samples" && i + 1 < argc)
      samples = std::stoull(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::stoi(argv[++i]);
  }
  if (!pair_child_of.empty())
    return pair_child(
        pair_child_of == "ps" ? training::strategy::ps : training::strategy::allreduce, samples);
  // Memory first, in fresh children, before this process starts any threads.
  auto rss_plain = child_rss([&] { plain_loop(samples, 1); });
  auto rss_job = child_rss([&] { job_rate(training::strategy::allreduce, 1, samples); });
  nlohmann::json out;
  out["samples"] = samples;
  out["reps"] = reps;
  out["rss_plain_kib"] = rss_plain;
  out["rss_trainer_kib"] = rss_job;
  out["rss_ratio"] = rss_plain > 0 ? double(rss_job) / rss_plain : 0.0;
  std::vector<double> plain2;
  for (auto [name, kind] : {std::pair{"allreduce", training::strategy::allreduce},
                            std::pair{"ps", training::strategy::ps}}) {
    std::vector<double> one, two, pair, balance, eff, eff_pair, vs, compute, comm, wait;
    for (int r = 0; r < reps; ++r) {
      auto a = job_rate(kind, 1, samples);
      auto rates = pair_rate(kind, samples);
      auto both = rates.slower + rates.faster;
      auto two_run = job_run(kind, 2, samples);
      auto b = two_run.train_images_per_s;
      // Where the 2-worker run's trainer time went, as shares of 2 × its wall time.
      auto trainer_s = 2 * two_run.seconds;
      if (trainer_s > 0) {
        compute.push_back(two_run.compute_s / trainer_s);
        comm.push_back(two_run.comm_s / trainer_s);
        wait.push_back(two_run.wait_s / trainer_s);
      }
      auto p = plain_loop(samples, 2);
      one.push_back(a);
      two.push_back(b);
      pair.push_back(both);
      eff_pair.push_back(both > 0 ? b / both : 0);
      balance.push_back(both > 0 ? rates.slower / rates.faster : 0);
      plain2.push_back(p);
      eff.push_back(a > 0 ? b / (2 * a) : 0);
      vs.push_back(p > 0 ? b / p : 0);
      std::cerr << name << " rep " << r << ": 1 worker " << a
                << " img/s, two 1-worker jobs at once " << both << " img/s, 2 workers " << b
                << " img/s (compute " << two_run.compute_s << " s, comm " << two_run.comm_s
                << " s, wait " << two_run.wait_s << " s of 2 x " << two_run.seconds
                << " s), plain 2 threads " << p << " img/s\n";
    }
    out[std::string{"two_workers_compute_share_"} + name] = median(compute);
    out[std::string{"two_workers_comm_share_"} + name] = median(comm);
    out[std::string{"two_workers_wait_share_"} + name] = median(wait);
    out[std::string{"one_worker_img_s_"} + name] = median(one);
    out[std::string{"two_workers_img_s_"} + name] = median(two);
    out[std::string{"pair_img_s_"} + name] = median(pair);
    out[std::string{"scaling_"} + name] = median(eff);
    out[std::string{"scaling_vs_pair_"} + name] = median(eff_pair);
    out[std::string{"pair_slower_over_faster_"} + name] = median(balance);
    out[std::string{"vs_plain_"} + name] = median(vs);
  }
  out["plain_2_threads_img_s"] = median(plain2);
  std::cout << "scaling allreduce " << out["scaling_allreduce"] << " (target 0.95), ps "
            << out["scaling_ps"] << " (target 0.90); against two independent 1-worker jobs at "
            << "once: allreduce " << out["scaling_vs_pair_allreduce"] << ", ps "
            << out["scaling_vs_pair_ps"]
            << " (slower ÷ faster of those jobs: " << out["pair_slower_over_faster_allreduce"]
            << ", " << out["pair_slower_over_faster_ps"] << "); vs plain 2-thread loop: allreduce "
            << out["vs_plain_allreduce"] << ", ps " << out["vs_plain_ps"] << "; RSS ratio "
            << out["rss_ratio"] << " (target 1.2)\n";
  if (json)
    std::cout << out.dump() << "\n";
  return 0;
}
