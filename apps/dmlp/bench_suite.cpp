#include "apps/dmlp/bench_suite.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace dmlp::cli {

namespace {

using json = nlohmann::json;

bench_target at_least(double bound) {
  return bench_target{true, bound};
}

bench_target at_most(double bound) {
  return bench_target{false, bound};
}

std::optional<double> number_at(const json& result, const std::string& pointer) {
  if (pointer.empty())
    return std::nullopt;
  json::json_pointer where{pointer};
  if (!result.contains(where) || !result.at(where).is_number())
    return std::nullopt;
  return result.at(where).get<double>();
}

std::string describe_exit(int status) {
  if (WIFEXITED(status))
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended abnormally";
}

std::string last_line(const std::string& output) {
  auto end = output.find_last_not_of(" \t\r\n");
  if (end == std::string::npos)
    return {};
  auto start = output.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return output.substr(start, end - start + 1);
}

std::string format_number(const std::optional<double>& x) {
  if (!x)
    return "-";
  char buffer[64];
  auto magnitude = std::fabs(*x);
  if (magnitude >= 1000)
    std::snprintf(buffer, sizeof buffer, "%.0f", *x);
  else if (magnitude >= 100)
    std::snprintf(buffer, sizeof buffer, "%.1f", *x);
  else if (magnitude >= 1 || magnitude == 0)
    std::snprintf(buffer, sizeof buffer, "%.2f", *x);
  else
    std::snprintf(buffer, sizeof buffer, "%.3g", *x);
  return buffer;
}

json optional_number(const std::optional<double>& x) {
  return x ? json(*x) : json(nullptr);
}

std::string target_cell(const bench_row& row) {
  if (!row.target)
    return "-";
  auto cell = to_string(*row.target);
  if (row.met)
    cell += *row.met ? " met" : " MISSED";
  return cell;
}

} // namespace

const std::vector<bench_spec>& bench_catalog() {
  static const std::vector<bench_spec> catalog{
      {"runtime",
       "bench_supervision",
       {"--rounds", "1"},
       {{"restart p50, kill -> answers vs spawn -> answers", "us", "/restart_p50_us",
         "/spawn_p50_us", 1, "/restart_over_spawn", std::nullopt},
        {"request throughput, supervised vs unsupervised", "req/s", "/supervised_req_per_s",
         "/unsupervised_req_per_s", 1, "/throughput_ratio", at_least(0.95)}}},
      {"ingest",
       "ingest_bench",
       {"--rounds", "1", "--batches", "500"},
       {{"batches/s delivered vs one trainer's steps/s", "1/s", "/ingest_batches_per_s",
         "/train_steps_per_s", 1, "/ingest_train_ratio", at_least(20)},
        {"full-set load, cold (source) vs warm (cache)", "s", "/cold_load_s", "/warm_load_s", 1,
         "/cold_warm_ratio", std::nullopt}}},
      {"metadata",
       "metadata_bench",
       {"--records", "200"},
       {{"store writes, 256 per transaction vs one each", "records/s", "/store_batched_per_s",
         "/store_unbatched_per_s", 1, "/store_ratio", std::nullopt},
        {"actor writes, batched vs batch_max=1", "records/s", "/actor_batched_per_s",
         "/actor_unbatched_per_s", 1, "/actor_ratio", std::nullopt}}},
      {"workflow",
       "workflow_bench",
       {"--steps", "100"},
       {{"engine per step vs spawn + ask a step actor", "us/step", "/engine_us_per_step",
         "/baseline_us_per_step", 1, "/ratio", std::nullopt}}},
      {"serving",
       "serving_bench",
       {"--seconds", "1"},
       {{"served at c=32 vs offline batched inference", "img/s", "/c32/requests_per_s",
         "/offline_images_per_s", 1, "/served_over_offline", at_least(0.8)},
        {"dynamic batching on vs off, c=32", "req/s", "/c32/requests_per_s",
         "/batching_off_c32_requests_per_s", 1, "/batching_on_over_off", std::nullopt},
        {"hey -c 5 vs the book's KServe", "req/s", "/c5/requests_per_s",
         "/book_kserve_c5_requests_per_s", 1, "", std::nullopt}}},
      {"training",
       "training_bench",
       {"--samples", "640", "--reps", "1"},
       {{"all-reduce, 2 workers vs 2 x one worker", "img/s", "/two_workers_img_s_allreduce",
         "/one_worker_img_s_allreduce", 2, "/scaling_allreduce", at_least(0.95)},
        {"parameter servers, 2 workers vs 2 x one worker", "img/s", "/two_workers_img_s_ps",
         "/one_worker_img_s_ps", 2, "/scaling_ps", at_least(0.90)},
        {"all-reduce, 2 workers vs two 1-worker jobs at once", "img/s",
         "/two_workers_img_s_allreduce", "/pair_img_s_allreduce", 1, "/scaling_vs_pair_allreduce",
         std::nullopt},
        {"parameter servers, 2 workers vs two 1-worker jobs at once", "img/s",
         "/two_workers_img_s_ps", "/pair_img_s_ps", 1, "/scaling_vs_pair_ps", std::nullopt},
        {"all-reduce, 2 workers vs plain libtorch on 2 threads", "img/s",
         "/two_workers_img_s_allreduce", "/plain_2_threads_img_s", 1, "/vs_plain_allreduce",
         std::nullopt},
        {"parameter servers, 2 workers vs plain libtorch on 2 threads", "img/s",
         "/two_workers_img_s_ps", "/plain_2_threads_img_s", 1, "/vs_plain_ps", std::nullopt},
        {"peak RSS, trainer vs plain libtorch loop", "KiB", "/rss_trainer_kib", "/rss_plain_kib", 1,
         "/rss_ratio", at_most(1.2)}}},
      {"allreduce",
       "bench_allreduce",
       {"--quick"},
       {{"all-reduce 373 KB, 2 processes, dmlp ring vs c10d Gloo", "ms", "/p2_373kb/dmlp_ms",
         "/p2_373kb/gloo_ms", 1, "/p2_373kb/dmlp_over_gloo", at_most(1.0)},
        {"all-reduce 4 MiB, 2 processes, dmlp ring vs c10d Gloo", "ms", "/p2_4mib/dmlp_ms",
         "/p2_4mib/gloo_ms", 1, "/p2_4mib/dmlp_over_gloo", at_most(1.0)},
        {"all-reduce 16 MiB, 2 processes, dmlp ring vs c10d Gloo", "ms", "/p2_16mib/dmlp_ms",
         "/p2_16mib/gloo_ms", 1, "/p2_16mib/dmlp_over_gloo", at_most(1.0)},
        {"all-reduce 373 KB, 4 processes, dmlp ring vs c10d Gloo", "ms", "/p4_373kb/dmlp_ms",
         "/p4_373kb/gloo_ms", 1, "/p4_373kb/dmlp_over_gloo", at_most(1.0)},
        {"all-reduce 4 MiB, 4 processes, dmlp ring vs c10d Gloo", "ms", "/p4_4mib/dmlp_ms",
         "/p4_4mib/gloo_ms", 1, "/p4_4mib/dmlp_over_gloo", at_most(1.0)},
        {"all-reduce 16 MiB, 4 processes, dmlp ring vs c10d Gloo", "ms", "/p4_16mib/dmlp_ms",
         "/p4_16mib/gloo_ms", 1, "/p4_16mib/dmlp_over_gloo", at_most(1.0)},
        {"bus bandwidth 16 MiB, 2 processes, dmlp ring vs raw TCP ring", "GB/s",
         "/p2_16mib/dmlp_busbw_gbs", "/p2_16mib/tcp_busbw_gbs", 1, "/p2_16mib/dmlp_busbw_over_tcp",
         std::nullopt},
        {"bus bandwidth 16 MiB, 4 processes, dmlp ring vs raw TCP ring", "GB/s",
         "/p4_16mib/dmlp_busbw_gbs", "/p4_16mib/tcp_busbw_gbs", 1, "/p4_16mib/dmlp_busbw_over_tcp",
         std::nullopt}}},
      {"recovery",
       "bench_recovery",
       {"--quick"},
       {{"all-reduce, trainer kill -> next commit vs a fault-free step", "ms",
         "/allreduce/recovery_ms_median", "/allreduce/step_ms_median", 1,
         "/allreduce/recovery_steps_median", std::nullopt},
        {"parameter servers, trainer kill -> next commit vs a fault-free step", "ms",
         "/ps/recovery_ms_median", "/ps/step_ms_median", 1, "/ps/recovery_steps_median",
         std::nullopt},
        {"all-reduce, steps redone over two trainer kills", "steps", "/allreduce/steps_redone", "",
         1, "", std::nullopt}}},
      {"memory",
       "bench_memory",
       {"--quick"},
       {{"peak RSS (VmHWM), trainer process vs plain libtorch loop", "KiB", "/rss_dmlp_kib",
         "/rss_plain_kib", 1, "/rss_ratio", at_most(1.2)}}},
      {"cluster",
       "cluster_bench",
       {"--trials", "1"},
       {{"remote request round trip vs raw TCP ping-pong", "us", "/remote_rtt_us_median",
         "/tcp_rtt_us_median", 1, "/remote_vs_tcp_ratio", std::nullopt},
        {"freeze detection vs the down_after setting", "ms", "/freeze_detect_ms_median",
         "/down_after_ms", 1, "", std::nullopt},
        {"kill -9 detection, median", "ms", "/kill9_detect_ms_median", "", 1, "", std::nullopt},
        {"remote spawn, median", "us", "/remote_spawn_us_median", "", 1, "", std::nullopt}}},
      {"scheduler",
       "bench_scheduling",
       {},
       {{"round of 1,000 jobs on 100 nodes vs greedy first fit", "ms", "/round_ms",
         "/first_fit_round_ms", 1, "/round_ratio", std::nullopt},
        {"placements per second vs greedy first fit", "1/s", "/placements_per_s",
         "/first_fit_placements_per_s", 1, "/placement_rate_ratio", std::nullopt}}},
  };
  return catalog;
}

std::string to_string(const bench_target& target) {
  std::ostringstream out;
  out << (target.at_least ? ">= " : "<= ") << target.bound;
  return out.str();
}

std::vector<bench_row> extract_bench_rows(const bench_spec& spec, const json& result) {
  std::vector<bench_row> rows;
  for (const auto& m : spec.metrics) {
    bench_row row;
    row.benchmark = spec.name;
    row.metric = m.metric;
    row.unit = m.unit;
    row.target = m.target;
    row.value = number_at(result, m.value);
    if (auto base = number_at(result, m.baseline))
      row.baseline = *base * m.baseline_factor;
    row.ratio = number_at(result, m.ratio);
    if (m.ratio.empty() && row.value && row.baseline && *row.baseline != 0)
      row.ratio = *row.value / *row.baseline;
    std::vector<std::string> missing;
    if (!row.value)
      missing.push_back(m.value);
    if (!m.baseline.empty() && !row.baseline)
      missing.push_back(m.baseline);
    if (!m.ratio.empty() && !row.ratio)
      missing.push_back(m.ratio);
    if (!missing.empty()) {
      row.note = "no number at";
      for (const auto& pointer : missing)
        row.note += " " + pointer;
    }
    if (row.target && row.ratio)
      row.met =
          row.target->at_least ? *row.ratio >= row.target->bound : *row.ratio <= row.target->bound;
    rows.push_back(std::move(row));
  }
  return rows;
}

bench_outcome make_bench_outcome(const bench_spec& spec, std::vector<std::string> command,
                                 double seconds, int exit_status, const std::string& output) {
  bench_outcome outcome;
  outcome.name = spec.name;
  outcome.command = std::move(command);
  outcome.seconds = seconds;
  if (!WIFEXITED(exit_status) || WEXITSTATUS(exit_status) != 0) {
    outcome.error = describe_exit(exit_status);
    return outcome;
  }
  auto line = last_line(output);
  if (line.empty()) {
    outcome.error = "printed nothing on stdout";
    return outcome;
  }
  auto parsed = json::parse(line, nullptr, false);
  if (!parsed.is_object()) {
    outcome.error = "the last line of its output is not a JSON object: " + line.substr(0, 80);
    return outcome;
  }
  outcome.result = std::move(parsed);
  outcome.rows = extract_bench_rows(spec, outcome.result);
  return outcome;
}

std::string format_bench_table(const std::vector<bench_outcome>& outcomes) {
  std::vector<std::vector<std::string>> lines{
      {"benchmark", "metric", "unit", "value", "baseline", "ratio", "target"}};
  for (const auto& o : outcomes)
    for (const auto& row : o.rows)
      lines.push_back({row.benchmark, row.metric, row.unit, format_number(row.value),
                       format_number(row.baseline), format_number(row.ratio), target_cell(row)});
  std::vector<size_t> widths(lines.front().size(), 0);
  for (const auto& cells : lines)
    for (size_t i = 0; i < cells.size(); ++i)
      widths[i] = std::max(widths[i], cells[i].size());
  // Text columns align left, numbers right.
  auto numeric = [](size_t column) { return column >= 3 && column <= 5; };
  std::ostringstream out;
  for (const auto& cells : lines) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      auto pad = std::string(widths[i] - cells[i].size(), ' ');
      line += numeric(i) ? pad + cells[i] : cells[i] + pad;
      if (i + 1 < cells.size())
        line += "  ";
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  }
  for (const auto& o : outcomes) {
    for (const auto& row : o.rows)
      if (!row.note.empty())
        out << row.benchmark << ": " << row.metric << ": " << row.note << "\n";
    if (!o.error.empty())
      out << o.name << ": FAILED (" << o.error << ")\n";
  }
  return out.str();
}

json bench_report_json(const std::vector<bench_outcome>& outcomes, bool quick) {
  auto benchmarks = json::array();
  auto rows = json::array();
  auto failed = json::array();
  for (const auto& o : outcomes) {
    benchmarks.push_back({{"name", o.name},
                          {"command", o.command},
                          {"seconds", o.seconds},
                          {"ok", o.error.empty()},
                          {"error", o.error.empty() ? json(nullptr) : json(o.error)},
                          {"result", o.result}});
    if (!o.error.empty())
      failed.push_back(o.name);
    for (const auto& row : o.rows)
      rows.push_back({{"benchmark", row.benchmark},
                      {"metric", row.metric},
                      {"unit", row.unit},
                      {"value", optional_number(row.value)},
                      {"baseline", optional_number(row.baseline)},
                      {"ratio", optional_number(row.ratio)},
                      {"target", row.target ? json(to_string(*row.target)) : json(nullptr)},
                      {"met", row.met ? json(*row.met) : json(nullptr)},
                      {"note", row.note.empty() ? json(nullptr) : json(row.note)}});
  }
  return {{"quick", quick}, {"benchmarks", benchmarks}, {"rows", rows}, {"failed", failed}};
}

} // namespace dmlp::cli
