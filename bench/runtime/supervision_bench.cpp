// Supervision benchmarks (issue: foundation). Prints ratios against baselines measured in the
// same run, interleaved, medians of several rounds:
//   restart latency: kill → the replacement answers a request, vs spawn → a fresh actor answers
//   throughput: request/reply rate through a supervised worker ÷ through an unsupervised one
//               (target ≥ 0.95: supervision must cost nothing on the message path)
// Usage: supervision_bench [--json] [--rounds N]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "messages/type_ids.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using clock_type = std::chrono::steady_clock;

namespace {

caf::behavior echo_worker(caf::event_based_actor*) {
  return {[](caf::get_atom, uint64_t x) { return x + 1; }};
}

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto idx = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  return xs[idx];
}

double median(std::vector<double> xs) {
  return percentile(std::move(xs), 0.5);
}

bool answers(caf::scoped_actor& self, const caf::actor& worker) {
  bool ok = false;
  self->request(worker, std::chrono::seconds{5}, caf::get_atom::value, uint64_t{1})
      .receive([&](uint64_t) { ok = true; }, [&](caf::error&) {});
  return ok;
}

// Microseconds from kill until the restarted child answers, `trials` times.
std::vector<double> restart_latencies(caf::actor_system& sys, const runtime_services& services,
                                      int trials) {
  supervisor_spec spec{"bench", strategy::one_for_one};
  backoff_options immediate;
  immediate.min = std::chrono::milliseconds{0};
  spec.with_backoff(immediate).with_intensity(1000000, std::chrono::seconds{1});
  spec.add(worker("w", [](const start_context& ctx) -> caf::expected<caf::actor> {
    return ctx.system.spawn(echo_worker);
  }));
  auto sup = spawn_supervisor(sys, spec, services);
  caf::scoped_actor self{sys};
  std::vector<double> result;
  auto current = services.names->get("bench/w");
  while (!current)
    current = services.names->get("bench/w");
  for (int i = 0; i < trials; ++i) {
    auto start = clock_type::now();
    caf::anon_send_exit(current, caf::exit_reason::kill);
    caf::actor next;
    // The registry is updated by the supervisor as it starts the replacement.
    while (!next || next == current)
      next = services.names->get("bench/w");
    if (!answers(self, next))
      continue;
    result.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    current = next;
  }
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  return result;
}

// Microseconds from spawn until a fresh actor answers: the floor of any restart.
std::vector<double> spawn_latencies(caf::actor_system& sys, int trials) {
  caf::scoped_actor self{sys};
  std::vector<double> result;
  for (int i = 0; i < trials; ++i) {
    auto start = clock_type::now();
    auto worker = sys.spawn(echo_worker);
    if (answers(self, worker))
      result.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    caf::anon_send_exit(worker, caf::exit_reason::kill);
  }
  return result;
}

// Request/reply round trips per second against `worker`, one in flight at a time.
double throughput(caf::actor_system& sys, const caf::actor& worker, int requests) {
  caf::scoped_actor self{sys};
  auto start = clock_type::now();
  int received = 0;
  for (int i = 0; i < requests; ++i)
    self->request(worker, caf::infinite, caf::get_atom::value, uint64_t(i))
        .receive([&](uint64_t) { ++received; }, [](caf::error&) {});
  auto seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return received / seconds;
}

} // namespace

int main(int argc, char** argv) {
  bool json = false;
  int rounds = 7;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0)
      json = true;
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
  }
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto services = make_services(sys);

  std::vector<double> restart_all, spawn_all, supervised_rates, plain_rates;
  supervisor_spec spec{"tp", strategy::one_for_one};
  spec.add(worker("w", [](const start_context& ctx) -> caf::expected<caf::actor> {
    return ctx.system.spawn(echo_worker);
  }));
  auto sup = spawn_supervisor(sys, spec, services);
  caf::actor supervised;
  while (!supervised)
    supervised = services.names->get("tp/w");
  auto plain = sys.spawn(echo_worker);
  constexpr int requests = 50000;
  for (int round = 0; round < rounds; ++round) {
    auto r = restart_latencies(sys, services, 400);
    auto s = spawn_latencies(sys, 400);
    restart_all.insert(restart_all.end(), r.begin(), r.end());
    spawn_all.insert(spawn_all.end(), s.begin(), s.end());
    // Interleave the two throughput runs, alternating which goes first.
    if (round % 2 == 0) {
      plain_rates.push_back(throughput(sys, plain, requests));
      supervised_rates.push_back(throughput(sys, supervised, requests));
    } else {
      supervised_rates.push_back(throughput(sys, supervised, requests));
      plain_rates.push_back(throughput(sys, plain, requests));
    }
  }
  caf::anon_send_exit(plain, caf::exit_reason::kill);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);

  auto restart_p50 = median(restart_all), restart_p99 = percentile(restart_all, 0.99);
  auto spawn_p50 = median(spawn_all), spawn_p99 = percentile(spawn_all, 0.99);
  auto supervised_rate = median(supervised_rates), plain_rate = median(plain_rates);
  auto ratio = supervised_rate / plain_rate;
  std::cout << "restart latency (kill -> replacement answers): p50 " << restart_p50 << " us, p99 "
            << restart_p99 << " us\n"
            << "baseline spawn -> answers:                     p50 " << spawn_p50 << " us, p99 "
            << spawn_p99 << " us\n"
            << "restart / spawn (p50):                         " << restart_p50 / spawn_p50 << "\n"
            << "throughput supervised " << supervised_rate << " req/s, unsupervised " << plain_rate
            << " req/s, ratio " << ratio << " (target >= 0.95)\n";
  if (json)
    std::cout << nlohmann::json{{"benchmark", "supervision"},
                                {"restart_p50_us", restart_p50},
                                {"restart_p99_us", restart_p99},
                                {"spawn_p50_us", spawn_p50},
                                {"spawn_p99_us", spawn_p99},
                                {"restart_over_spawn", restart_p50 / spawn_p50},
                                {"supervised_req_per_s", supervised_rate},
                                {"unsupervised_req_per_s", plain_rate},
                                {"throughput_ratio", ratio},
                                {"throughput_target", 0.95}}
                     .dump()
              << std::endl;
  return 0;
}
