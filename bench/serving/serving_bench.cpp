// Serving benchmark: `hey` (a real HTTP load generator) against KServe V1 on 127.0.0.1 at
// concurrency 1, 5 and 32, compared in the same run with
//   - offline batched inference of the same model with the same libtorch threads (the limit):
//     served images/s at concurrency 32 ÷ offline images/s, target ≥ 0.8;
//   - the same server with dynamic batching off (max batch 1): on ÷ off.
// The book's KServe deployment measured 95.7 requests/s at 52 ms mean latency with hey -c 5.
//   build/bin/bench/serving_bench [--seconds S] [--replicas R] [--threads T] [--json]
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/models/model_runner.hpp"
#include "actors/serving/errors.hpp"
#include "actors/serving/http_frontend.hpp"
#include "actors/serving/model_service.hpp"
#include "messages/errors.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::serving;
using json = nlohmann::json;

namespace {

struct hey_result {
  double requests_per_s = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int non_200 = 0;
};

std::string run_command(const std::string& cmd) {
  std::string out;
  std::array<char, 4096> buf;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe)
    return out;
  while (fgets(buf.data(), buf.size(), pipe))
    out += buf.data();
  pclose(pipe);
  return out;
}

double match_number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex{pattern}))
    return std::stod(m[1].str());
  return 0;
}

hey_result run_hey(uint16_t port, int concurrency, double seconds, const std::string& body_file) {
  std::ostringstream cmd;
  cmd << "hey -z " << seconds << "s -c " << concurrency << " -m POST -T application/json -D "
      << body_file << " http://127.0.0.1:" << port << "/v1/models/fashion:predict 2>&1";
  auto text = run_command(cmd.str());
  hey_result r;
  r.requests_per_s = match_number(text, R"(Requests/sec:\s+([0-9.]+))");
  r.mean_ms = 1000 * match_number(text, R"(Average:\s+([0-9.]+) secs)");
  r.p50_ms = 1000 * match_number(text, R"(50% in ([0-9.]+) secs)");
  r.p99_ms = 1000 * match_number(text, R"(99% in ([0-9.]+) secs)");
  std::smatch m;
  auto codes = text;
  std::regex code{R"(\[(\d+)\]\s+(\d+) responses)"};
  for (std::sregex_iterator i{codes.begin(), codes.end(), code}, end; i != end; ++i)
    if ((*i)[1].str() != "200")
      r.non_200 += std::stoi((*i)[2].str());
  return r;
}

double offline_images_per_s(const std::string& dir, uint32_t threads, uint32_t batch,
                            double seconds) {
  auto runner = models::model_runner::load(dir, 1, models::runner_options{threads, 256});
  if (!runner)
    return 0;
  std::vector<float> x(size_t{batch} * runner->sample_size(), 0.5f);
  runner->warm_up(batch);
  size_t images = 0;
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    runner->predict(x.data(), batch);
    images += batch;
  }
  return images / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  uint32_t replicas = 1;
  uint32_t threads = 1;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      as_json = true;
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else if (a == "--replicas" && i + 1 < argc)
      replicas = static_cast<uint32_t>(std::stoul(argv[++i]));
    else if (a == "--threads" && i + 1 < argc)
      threads = static_cast<uint32_t>(std::stoul(argv[++i]));
  }
  if (run_command("command -v hey").empty()) {
    std::cerr << "serving_bench: hey is not installed\n";
    return 1;
  }
  auto dir = (std::filesystem::temp_directory_path() /
              ("dmlp-serving-bench-" + std::to_string(::getpid())))
                 .string();
  auto v = models::init_model(dir, "cnn", "fashion", 1);
  if (!v) {
    std::cerr << "serving_bench: " << describe(v.error()) << "\n";
    return 1;
  }
  auto body_file = dir + "/body.json";
  json body;
  body["instances"] = json::array({json(std::vector<int>(784, 128))});
  std::ofstream{body_file} << body.dump();

  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  register_serving_errors(cfg);
  caf::actor_system sys{cfg};
  auto offline = offline_images_per_s(dir, threads, 32, seconds);

  auto measure = [&](uint32_t max_batch, std::vector<int> levels) {
    serving_options o;
    o.model_dir = dir;
    o.name = "fashion";
    o.replicas = replicas;
    o.replica.runner.threads = threads;
    o.replica.batching.max_batch = max_batch;
    o.replica.batching.max_delay_us = max_batch > 1 ? 1000 : 0;
    o.router.version_poll = std::chrono::milliseconds{0};
    auto metrics = std::make_shared<serving_metrics>();
    auto svc = model_service::start(sys, o, runtime::make_services(sys), metrics);
    std::vector<hey_result> out;
    if (!svc || !(*svc)->await_ready(replicas, std::chrono::seconds{60}))
      return out;
    http_options http;
    http.host = "127.0.0.1";
    http.port = 0;
    http_frontend front{sys, http, metrics, nullptr};
    auto s = *svc;
    front.add_model(
        served_model{"fashion", [s] { return s->router(); }, s->prep(), s->classes(), dir});
    auto port = front.start();
    if (!port)
      return out;
    for (auto c : levels)
      out.push_back(run_hey(*port, c, seconds, body_file));
    front.stop();
    s->stop();
    return out;
  };
  auto on = measure(32, {1, 5, 32});
  auto off = measure(1, {32});
  std::filesystem::remove_all(dir);
  if (on.size() != 3 || off.size() != 1) {
    std::cerr << "serving_bench: the server did not start\n";
    return 1;
  }
  auto efficiency = offline > 0 ? on[2].requests_per_s / offline : 0;
  auto batching_ratio =
      off[0].requests_per_s > 0 ? on[2].requests_per_s / off[0].requests_per_s : 0;
  const int levels[] = {1, 5, 32};
  std::printf("serving_bench: cnn, %u replica(s) x %u libtorch thread(s), hey -z %.0fs, 1 image "
              "per request\n",
              replicas, threads, seconds);
  for (int i = 0; i < 3; ++i)
    std::printf("  hey -c %-2d  %8.1f req/s  mean %7.2f ms  p50 %7.2f ms  p99 %7.2f ms  non-200 "
                "%d\n",
                levels[i], on[i].requests_per_s, on[i].mean_ms, on[i].p50_ms, on[i].p99_ms,
                on[i].non_200);
  std::printf("  batching off, hey -c 32: %8.1f req/s  p99 %7.2f ms\n", off[0].requests_per_s,
              off[0].p99_ms);
  std::printf("  offline batched inference (batch 32): %8.1f images/s\n", offline);
  std::printf("  served(c=32) / offline = %.3f (target >= 0.8)\n", efficiency);
  std::printf("  dynamic batching on / off (c=32) = %.2f\n", batching_ratio);
  std::printf("  book's KServe, hey -c 5: 95.7 req/s, 52 ms mean; here c=5: %.1f req/s, %.2f ms "
              "mean (%.1fx the throughput)\n",
              on[1].requests_per_s, on[1].mean_ms, on[1].requests_per_s / 95.7);
  if (as_json) {
    json j;
    j["bench"] = "serving";
    j["replicas"] = replicas;
    j["threads"] = threads;
    j["offline_images_per_s"] = offline;
    j["served_over_offline"] = efficiency;
    j["batching_on_over_off"] = batching_ratio;
    j["book_kserve_c5_requests_per_s"] = 95.7;
    j["batching_off_c32_requests_per_s"] = off[0].requests_per_s;
    for (int i = 0; i < 3; ++i) {
      auto key = "c" + std::to_string(levels[i]);
      j[key]["requests_per_s"] = on[i].requests_per_s;
      j[key]["mean_ms"] = on[i].mean_ms;
      j[key]["p50_ms"] = on[i].p50_ms;
      j[key]["p99_ms"] = on[i].p99_ms;
      j[key]["non_200"] = on[i].non_200;
    }
    std::cout << j.dump() << std::endl;
  }
  return 0;
}
