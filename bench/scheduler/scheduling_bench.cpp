// Scheduler benchmark (issue: scheduler): decision latency of one scheduling round with 1,000
// pending jobs on 100 simulated nodes, and placements per second, against a baseline measured
// in the same run: the same round with only gang placement (no running jobs to preempt).
// Usage: bench_scheduling [--json]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "actors/scheduler/scheduling_policy.hpp"

using namespace dmlp::scheduler;
using clock_type = std::chrono::steady_clock;

namespace {

schedule_input make_input(std::mt19937_64& rng, bool with_running) {
  schedule_input input;
  for (int n = 0; n < 100; ++n)
    input.nodes.push_back(node_state{"n" + std::to_string(n),
                                     {{"role", n % 4 == 0 ? "ps" : "trainer"}},
                                     resources{16, 65536, n % 10 == 0 ? 1.0 : 0.0},
                                     true});
  if (with_running)
    for (int j = 0; j < 150; ++j) {
      running_job r;
      r.spec = job_spec{"r" + std::to_string(j),
                        "u" + std::to_string(j % 20),
                        "g" + std::to_string(j % 5),
                        static_cast<int>(j % 3),
                        {role_request{"trainer", resources{2, 4096, 0}, {}, 1, 4}}};
      for (uint32_t i = 0; i < 3; ++i)
        r.instances.push_back(placement{r.spec.id, "trainer", i,
                                        "n" + std::to_string((j * 3 + i) % 100),
                                        resources{2, 4096, 0}});
      r.started_at_ms = j;
      input.running.push_back(r);
    }
  for (int j = 0; j < 1000; ++j) {
    auto min = 1 + static_cast<uint32_t>(rng() % 4);
    job_spec spec{
        "p" + std::to_string(j),
        "u" + std::to_string(rng() % 40),
        "g" + std::to_string(rng() % 6),
        static_cast<int>(rng() % 5),
        {role_request{
             "trainer", resources{1.0 + rng() % 4, 2048, 0}, {{"role", "trainer"}}, min, min + 2},
         role_request{"ps", resources{1, 1024, 0}, {{"role", "ps"}}, 1, 1}}};
    input.pending.push_back(
        pending_job{spec, static_cast<int64_t>(rng() % 100000), static_cast<uint64_t>(j)});
  }
  input.now_ms = 100000;
  return input;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  std::mt19937_64 rng{7};
  scheduling_policy policy;
  std::vector<double> full_ms, baseline_ms;
  size_t placements = 0;
  double placing_seconds = 0;
  for (int round = 0; round < 7; ++round) {
    auto loaded = make_input(rng, true);
    auto empty = make_input(rng, false);
    auto t0 = clock_type::now();
    auto decision = policy.decide(loaded);
    auto t1 = clock_type::now();
    auto base = policy.decide(empty);
    auto t2 = clock_type::now();
    full_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    baseline_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    placements += base.start.size();
    placing_seconds += std::chrono::duration<double>(t2 - t1).count();
  }
  auto full = median(full_ms), base = median(baseline_ms);
  auto rate = static_cast<double>(placements) / placing_seconds;
  std::cout << "1,000 pending jobs, 100 nodes, 150 running jobs: " << full << " ms per round\n"
            << "same queue on an empty cluster (gang placement only): " << base << " ms\n"
            << "ratio " << full / base << "; placements/s on the empty cluster " << rate << "\n";
  if (json)
    std::cout << nlohmann::json{{"benchmark", "scheduling"},
                                {"round_ms", full},
                                {"empty_cluster_round_ms", base},
                                {"ratio", full / base},
                                {"placements_per_s", rate}}
                     .dump()
              << std::endl;
  return 0;
}
