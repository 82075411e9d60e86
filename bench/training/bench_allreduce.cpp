// All-reduce benchmark (issue 5): time per all-reduce of 373 KB (the cnn's 93,322 floats),
// 4 MiB and 16 MiB between 2 and 4 processes on loopback, for
//   dmlp   the project's ring as trainers in different processes run it: ring_allreduce
//          driven by each rank's ring link (actors/training/ring_link), a CAF broker on a
//          direct TCP connection to the next rank's link
//   dmlp_basp  the same ring over train_chunk messages through CAF's middleman (BASP), the
//          trainers' path on a TLS cluster
//   gloo   libtorch's c10d::ProcessGroupGloo, the same tensors and processes, in the same run
//   tcp    the same ring over plain sockets: the ceiling loopback allows
// Rounds interleave the methods (the order rotates each round); every process checks that its
// buffer holds the exact sum after every round, and a wrong sum fails the benchmark.
// Prints median and p90 time, algorithm bandwidth (bytes / time), bus bandwidth
// (2 (P − 1) / P × bytes / time), dmlp ÷ Gloo (time; target ≤ 1: at least as fast) and dmlp's
// bus bandwidth ÷ the socket ring's.
// Run: build/bin/bench/bench_allreduce [--quick] [--iters N] [--rounds R] [--warmup W]
//        [--ranks 2,4] [--methods dmlp,dmlp_basp,gloo,tcp] [--sizes 373kb,4mib,16mib]
//        [--bucket-elems B]
//        [--json]
// The program starts its workers itself (the same binary with --worker) and talks to them
// over pipes: their ports, a barrier before each measurement, their times.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/training/ring_schedule.hpp"
#include "actors/training/trainer.hpp"
#include "allreduce_peers.hpp"
#include "bench/training/child_process.hpp"

using namespace dmlp;

namespace {

struct size_case {
  const char* key;
  const char* label;
  size_t floats;
};

const std::vector<size_case> size_cases{
    {"373kb", "373 KB", 93'322}, {"4mib", "4 MiB", 1u << 20}, {"16mib", "16 MiB", 4u << 20}};

const std::vector<std::string> all_methods{"dmlp", "dmlp_basp", "gloo", "tcp"};

struct settings {
  std::vector<uint32_t> ranks{2, 4};
  std::vector<std::string> methods = all_methods;
  uint32_t iters = 5;
  uint32_t rounds = 8;
  uint32_t warmup = 1;
  size_t bucket_elems = training::trainer_options{}.bucket_elems;
  bool json = false;
  std::string methods_text = "dmlp,dmlp_basp,gloo,tcp";
  std::vector<size_case> sizes = size_cases;
  std::string sizes_text = "373kb,4mib,16mib";
};

// The order of the methods in round `round`: rotated so that none always runs first.
std::vector<std::string> round_order(const settings& s, uint32_t round) {
  auto order = s.methods;
  std::rotate(order.begin(), order.begin() + round % order.size(), order.end());
  return order;
}

// -- worker ------------------------------------------------------------------------------------

std::string read_line(const char* expected) {
  std::string line;
  if (!std::getline(std::cin, line) || line.rfind(expected, 0) != 0)
    throw std::runtime_error(std::string{"expected '"} + expected + "' from the parent, got '" +
                             line + "'");
  return line;
}

int worker_main(const settings& s, uint32_t rank, uint32_t ranks, const std::string& store) {
  bench::dmlp_ring dmlp(rank, ranks, s.bucket_elems, bench::dmlp_transport::link);
  bench::dmlp_ring basp(rank, ranks, s.bucket_elems, bench::dmlp_transport::basp);
  bench::tcp_ring tcp(rank, ranks);
  std::cout << "ports " << dmlp.port() << " " << basp.port() << " " << tcp.port() << std::endl;
  std::istringstream next{read_line("next ").substr(5)};
  uint16_t dmlp_next = 0, basp_next = 0, tcp_next = 0;
  next >> dmlp_next >> basp_next >> tcp_next;
  dmlp.connect(dmlp_next);
  basp.connect(basp_next);
  tcp.connect(tcp_next);
  bench::gloo_group gloo(rank, ranks, store);
  std::vector<float> buffer;
  for (const auto& size : s.sizes)
    for (uint32_t round = 0; round < s.rounds; ++round)
      for (const auto& method : round_order(s, round)) {
        buffer.resize(size.floats);
        bench::fill_input(buffer, rank);
        std::cout << "ready" << std::endl;
        read_line("go");
        auto total = s.warmup + s.iters;
        std::vector<double> times = method == "dmlp"        ? dmlp.run(buffer, total)
                                    : method == "dmlp_basp" ? basp.run(buffer, total)
                                    : method == "gloo"      ? gloo.run(buffer, total)
                                                            : tcp.run(buffer, total);
        auto wrong = bench::check_sum(buffer, ranks, total);
        if (!wrong.empty())
          throw std::runtime_error(method + " all-reduce of " + size.label + " on rank " +
                                   std::to_string(rank) + ": " + wrong);
        std::cout << "times";
        for (size_t i = s.warmup; i < times.size(); ++i)
          std::cout << " " << times[i];
        std::cout << std::endl;
      }
  return 0;
}

// -- parent ------------------------------------------------------------------------------------

std::string rank_name(uint32_t rank) {
  return "worker " + std::to_string(rank);
}

using samples = std::map<std::string, std::vector<double>>; // method -> seconds (rank 0)

// Runs one group of `ranks` workers through every size; returns samples per size key.
std::map<std::string, samples> run_group(const settings& s, uint32_t ranks) {
  auto dir = std::filesystem::temp_directory_path() /
             ("dmlp-bench-allreduce-" + std::to_string(::getpid()) + "-" + std::to_string(ranks));
  std::filesystem::create_directories(dir);
  auto store = (dir / "gloo-store").string();
  std::vector<bench::child_process> workers;
  std::map<std::string, samples> out;
  try {
    for (uint32_t r = 0; r < ranks; ++r)
      workers.push_back(bench::spawn_child(
          {"bench_allreduce", "--worker", std::to_string(r), "--ranks", std::to_string(ranks),
           "--store", store, "--iters", std::to_string(s.iters), "--rounds",
           std::to_string(s.rounds), "--warmup", std::to_string(s.warmup), "--bucket-elems",
           std::to_string(s.bucket_elems), "--methods", s.methods_text, "--sizes", s.sizes_text}));
    std::vector<std::string> ports;
    for (uint32_t r = 0; r < ranks; ++r)
      ports.push_back(bench::expect_line(workers[r], rank_name(r), "ports "));
    for (uint32_t r = 0; r < ranks; ++r)
      bench::write_line(workers[r], "next " + ports[(r + 1) % ranks]);
    for (const auto& size : s.sizes)
      for (uint32_t round = 0; round < s.rounds; ++round)
        for (const auto& method : round_order(s, round)) {
          for (uint32_t r = 0; r < ranks; ++r)
            bench::expect_line(workers[r], rank_name(r), "ready");
          for (auto& w : workers)
            bench::write_line(w, "go");
          for (uint32_t r = 0; r < ranks; ++r) {
            std::istringstream times{bench::expect_line(workers[r], rank_name(r), "times")};
            double t = 0;
            while (r == 0 && times >> t)
              out[size.key][method].push_back(t);
          }
          std::cerr << "P=" << ranks << " " << size.label << " round " << round << " " << method
                    << " done\n";
        }
    for (uint32_t r = 0; r < ranks; ++r)
      bench::wait_child(workers[r], rank_name(r));
    bench::stop_children(workers);
  } catch (...) {
    bench::stop_children(workers);
    std::filesystem::remove_all(dir);
    throw;
  }
  std::filesystem::remove_all(dir);
  return out;
}

double quantile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(xs.size()))) - 1;
  return xs[std::min(i, xs.size() - 1)];
}

uint64_t parse_count(const std::string& option, const std::string& text) {
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(option + " takes a whole number, not '" + text + "'");
  return std::stoull(text);
}

// The items of a comma-separated `text`, each one of `known` (matched by `name_of`).
template <class T, class NameOf>
std::vector<T> pick(const std::string& option, const std::string& text, const std::vector<T>& known,
                    NameOf name_of) {
  std::string names;
  for (const auto& k : known)
    names += (names.empty() ? "" : ", ") + name_of(k);
  std::vector<T> out;
  std::istringstream in{text};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto i =
        std::find_if(known.begin(), known.end(), [&](const T& k) { return name_of(k) == item; });
    if (i == known.end())
      throw std::invalid_argument(option + " takes " + names + ", not '" + item + "'");
    out.push_back(*i);
  }
  if (out.empty())
    throw std::invalid_argument(option + " needs at least one of " + names);
  return out;
}

} // namespace

namespace dmlp::bench {

void fill_input(std::vector<float>& buffer, uint32_t rank) {
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = static_cast<float>((rank + 1) * (i % 251 + 1));
}

std::string check_sum(const std::vector<float>& buffer, uint32_t ranks, uint32_t iterations) {
  auto scale = static_cast<float>(ranks * (ranks + 1) / 2);
  for (uint32_t k = 1; k < iterations; ++k)
    scale *= static_cast<float>(ranks);
  for (size_t i = 0; i < buffer.size(); ++i) {
    auto want = scale * static_cast<float>(i % 251 + 1);
    if (buffer[i] != want)
      return "element " + std::to_string(i) + " is " + std::to_string(buffer[i]) + ", expected " +
             std::to_string(want);
  }
  return {};
}

} // namespace dmlp::bench

int main(int argc, char** argv) {
  settings s;
  int worker_rank = -1;
  uint32_t worker_ranks = 0;
  std::string store;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc)
          throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--json")
        s.json = true;
      else if (a == "--quick") {
        s.iters = 3;
        s.rounds = 1;
      } else if (a == "--iters")
        s.iters = static_cast<uint32_t>(parse_count(a, value()));
      else if (a == "--rounds")
        s.rounds = static_cast<uint32_t>(parse_count(a, value()));
      else if (a == "--warmup")
        s.warmup = static_cast<uint32_t>(parse_count(a, value()));
      else if (a == "--ranks")
        // Exact sums need powers of two (see check_sum).
        s.ranks = pick(a, value(), std::vector<uint32_t>{2, 4},
                       [](uint32_t p) { return std::to_string(p); });
      else if (a == "--methods") {
        s.methods_text = value();
        s.methods = pick(a, s.methods_text, all_methods, [](const std::string& m) { return m; });
      } else if (a == "--sizes") {
        s.sizes_text = value();
        s.sizes = pick(a, s.sizes_text, size_cases,
                       [](const size_case& c) { return std::string{c.key}; });
      } else if (a == "--bucket-elems")
        s.bucket_elems = parse_count(a, value());
      else if (a == "--worker")
        worker_rank = static_cast<int>(parse_count(a, value()));
      else if (a == "--store")
        store = value();
      else
        throw std::invalid_argument("unknown option " + a);
    }
    // Exact sums hold while (P (P + 1) / 2) × 251 × P^(k − 1) stays below 2^127.
    if (s.iters == 0 || s.rounds == 0 || s.warmup + s.iters > 40)
      throw std::invalid_argument("--iters must be 1 … 40 − warmup, --rounds at least 1");
  } catch (const std::exception& e) {
    std::cerr << "bench_allreduce: " << e.what() << "\n";
    return 2;
  }
  if (worker_rank >= 0) {
    if (s.ranks.size() != 1 || store.empty()) {
      std::cerr << "bench_allreduce: a worker needs --ranks P and --store PATH\n";
      return 2;
    }
    worker_ranks = s.ranks[0];
    if (static_cast<uint32_t>(worker_rank) >= worker_ranks) {
      std::cerr << "bench_allreduce: worker rank " << worker_rank << " of " << worker_ranks << "\n";
      return 2;
    }
    try {
      return worker_main(s, static_cast<uint32_t>(worker_rank), worker_ranks, store);
    } catch (const std::exception& e) {
      std::cerr << "bench_allreduce worker " << worker_rank << ": " << e.what() << "\n";
      return 1;
    }
  }
  nlohmann::json out;
  out["iters_per_round"] = s.iters;
  out["rounds"] = s.rounds;
  out["bucket_elems"] = s.bucket_elems;
  double worst = 0;
  int at_least_as_fast = 0;
  int rows = 0;
  std::printf("%-3s %-7s %-9s %9s %9s %9s %9s\n", "P", "size", "impl", "median ms", "p90 ms",
              "algbw GB/s", "busbw GB/s");
  for (auto ranks : s.ranks) {
    std::map<std::string, samples> group;
    try {
      group = run_group(s, ranks);
    } catch (const std::exception& e) {
      std::cerr << "bench_allreduce: " << e.what() << "\n";
      return 1;
    }
    for (const auto& size : s.sizes) {
      auto bytes = static_cast<double>(size.floats * sizeof(float));
      nlohmann::json row;
      row["ranks"] = ranks;
      row["bytes"] = size.floats * sizeof(float);
      for (const auto& method : s.methods) {
        auto& t = group[size.key][method];
        auto med = quantile(t, 0.5);
        auto p90 = quantile(t, 0.9);
        auto algbw = med > 0 ? bytes / med / 1e9 : 0;
        auto busbw = med > 0 ? training::ring_bytes_per_rank(bytes, ranks) / med / 1e9 : 0;
        row[method + "_ms"] = med * 1e3;
        row[method + "_p90_ms"] = p90 * 1e3;
        row[method + "_algbw_gbs"] = algbw;
        row[method + "_busbw_gbs"] = busbw;
        std::printf("%-3u %-7s %-9s %9.3f %9.3f %10.2f %10.2f\n", ranks, size.label, method.c_str(),
                    med * 1e3, p90 * 1e3, algbw, busbw);
      }
      auto number = [&](const char* key) { return row.value(key, 0.0); };
      double ratio = number("gloo_ms") > 0 ? number("dmlp_ms") / number("gloo_ms") : 0;
      double vs_tcp =
          number("tcp_busbw_gbs") > 0 ? number("dmlp_busbw_gbs") / number("tcp_busbw_gbs") : 0;
      row["dmlp_over_gloo"] = ratio;
      row["dmlp_busbw_over_tcp"] = vs_tcp;
      if (number("gloo_ms") > 0 && number("dmlp_basp_ms") > 0) {
        row["dmlp_basp_over_gloo"] = number("dmlp_basp_ms") / number("gloo_ms");
        std::printf("    dmlp_basp / gloo time %.2f\n", number("dmlp_basp_ms") / number("gloo_ms"));
      }
      if (ratio > 0)
        std::printf("    dmlp / gloo time %.2f (target <= 1)\n", ratio);
      if (vs_tcp > 0)
        std::printf("    dmlp busbw / tcp busbw %.2f\n", vs_tcp);
      worst = std::max(worst, ratio);
      at_least_as_fast += ratio > 0 && ratio <= 1.0 ? 1 : 0;
      ++rows;
      out["p" + std::to_string(ranks) + "_" + size.key] = row;
    }
  }
  out["worst_dmlp_over_gloo"] = worst;
  out["rows_at_least_as_fast_as_gloo"] = at_least_as_fast;
  out["rows"] = rows;
  std::printf("dmlp at least as fast as Gloo in %d of %d cases; worst dmlp / gloo time %.2f\n",
              at_least_as_fast, rows, worst);
  if (s.json)
    std::cout << out.dump() << std::endl;
  return 0;
}
