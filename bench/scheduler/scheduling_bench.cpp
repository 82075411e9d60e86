// Scheduler benchmark (issue: scheduler): decision latency of one scheduling round with 1,000
// pending jobs on 100 simulated nodes (150 jobs already running, so preemption and shrinking are
// probed), and placements per second on the empty cluster. The baseline, measured in the same
// run on the same inputs, is a plain greedy first fit written here: every pending job in
// submission order, its minimum instances on the first node with room, no priorities, no
// fairness, no preemption, no reasons — the least any gang placement costs.
// Usage: bench_scheduling [--json]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
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

// The baseline: greedy first fit of every pending job's minimum gang, in submission order.
size_t first_fit(const schedule_input& input) {
  std::vector<resources> free;
  for (const auto& node : input.nodes)
    free.push_back(node.capacity);
  std::map<std::string, size_t> index;
  for (size_t n = 0; n < input.nodes.size(); ++n)
    index[input.nodes[n].name] = n;
  for (const auto& job : input.running)
    for (const auto& instance : job.instances)
      free[index[instance.node]] -= instance.need;
  size_t placed = 0;
  for (const auto& job : input.pending) {
    auto trial = free;
    size_t gang = 0;
    bool ok = true;
    for (const auto& role : job.spec.roles)
      for (uint32_t i = 0; i < role.min && ok; ++i) {
        ok = false;
        for (size_t n = 0; n < trial.size() && !ok; ++n)
          if (input.nodes[n].matches(role.selector) && trial[n].fits(role.per_instance)) {
            trial[n] -= role.per_instance;
            ok = true;
            ++gang;
          }
      }
    if (ok) {
      free = std::move(trial);
      placed += gang;
    }
  }
  return placed;
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  std::mt19937_64 rng{7};
  scheduling_policy policy;
  std::vector<double> round_ms, fit_ms, empty_ms, empty_fit_ms;
  size_t placements = 0, fit_placements = 0;
  double placing_s = 0, fit_placing_s = 0;
  for (int round = 0; round < 9; ++round) {
    auto loaded = make_input(rng, true);
    auto empty = make_input(rng, false);
    auto t0 = clock_type::now();
    policy.decide(loaded);
    round_ms.push_back(ms_since(t0));
    t0 = clock_type::now();
    first_fit(loaded);
    fit_ms.push_back(ms_since(t0));
    t0 = clock_type::now();
    placements += policy.decide(empty).start.size();
    empty_ms.push_back(ms_since(t0));
    placing_s += empty_ms.back() / 1000;
    t0 = clock_type::now();
    fit_placements += first_fit(empty);
    empty_fit_ms.push_back(ms_since(t0));
    fit_placing_s += empty_fit_ms.back() / 1000;
  }
  auto round = median(round_ms), fit = median(fit_ms);
  auto rate = static_cast<double>(placements) / placing_s;
  auto fit_rate = static_cast<double>(fit_placements) / fit_placing_s;
  std::cout << "decision latency, 1,000 pending jobs on 100 nodes with 150 running: " << round
            << " ms per round; greedy first fit " << fit << " ms; ratio " << round / fit << "\n"
            << "placements/s on the empty cluster: " << rate << "; greedy first fit " << fit_rate
            << "; ratio " << rate / fit_rate << "\n";
  if (json)
    std::cout << nlohmann::json{{"benchmark", "scheduling"},
                                {"round_ms", round},
                                {"first_fit_round_ms", fit},
                                {"round_ratio", round / fit},
                                {"placements_per_s", rate},
                                {"first_fit_placements_per_s", fit_rate},
                                {"placement_rate_ratio", rate / fit_rate}}
                     .dump()
              << std::endl;
  return 0;
}
