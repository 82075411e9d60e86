// The benchmark suite's parsing and reporting (apps/dmlp/bench_suite.hpp) on canned outputs:
// each benchmark's human lines followed by the JSON line it prints with --json.
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "apps/dmlp/bench_suite.hpp"

using namespace dmlp::cli;

namespace {

// waitpid-style statuses.
constexpr int exited_ok = 0;
constexpr int exited_1 = 1 << 8;
constexpr int killed_by_sigkill = SIGKILL;

// One output per benchmark, with the keys each program prints (bench/*/*.cpp).
const std::map<std::string, std::string> canned_outputs{
    {"runtime",
     "restart latency (kill -> replacement answers): p50 75.824 us, p99 28078.3 us\n"
     R"({"benchmark":"supervision","restart_over_spawn":2.1175,"restart_p50_us":75.824,)"
     R"("restart_p99_us":28078.295,"spawn_p50_us":35.808,"spawn_p99_us":83.708,)"
     R"("supervised_req_per_s":16322.5,"throughput_ratio":0.225,"throughput_target":0.95,)"
     R"("unsupervised_req_per_s":72535.0})"
     "\n"},
    {"ingest", "cold load (source -> cache): 2.1 s, warm load (cache): 0.3 s, cold/warm = 7\n"
               R"({"bench":"ingest","cold_load_s":2.1,"warm_load_s":0.3,"cold_warm_ratio":7.0,)"
               R"("ingest_batches_per_s":2500.0,"ingest_batches_per_s_memory_ledger":9000.0,)"
               R"("train_steps_per_s":50.0,"window":8,"ingest_train_ratio":50.0,)"
               R"("ingest_train_ratio_target":20})"
               "\n"},
    {"metadata",
     R"({"bench":"metadata","records":200,"store_unbatched_per_s":300.0,)"
     R"("store_batched_per_s":30000.0,"store_ratio":100.0,"actor_unbatched_per_s":250.0,)"
     R"("actor_batched_per_s":12500.0,"actor_ratio":50.0,"actor_sequential_per_s":150.0})"},
    {"workflow", "workflow engine, fan-out of 100 no-op steps\n"
                 R"({"baseline_us_per_step":219.01,"bench":"workflow","engine_us_per_step":5570.4,)"
                 R"("overhead_us_per_step":5351.39,"ratio":25.43,"steps":100})"
                 "\n"},
    {"serving",
     R"({"bench":"serving","replicas":1,"threads":1,"offline_images_per_s":2000.0,)"
     R"("served_over_offline":0.9,"batching_on_over_off":1.5,)"
     R"("book_kserve_c5_requests_per_s":95.7,"batching_off_c32_requests_per_s":1200.0,)"
     R"("c1":{"requests_per_s":800.0,"mean_ms":1.2,"p50_ms":1.1,"p99_ms":3.0,"non_200":0},)"
     R"("c5":{"requests_per_s":1510.0,"mean_ms":3.3,"p50_ms":3.0,"p99_ms":9.0,"non_200":0},)"
     R"("c32":{"requests_per_s":1800.0,"mean_ms":17.0,"p50_ms":16.0,"p99_ms":40.0,"non_200":0}})"
     "\n"},
    {"training",
     "allreduce rep 0: 1 worker 1000 img/s\n"
     R"({"samples":640,"reps":1,"rss_plain_kib":300000,"rss_trainer_kib":330000,)"
     R"("rss_ratio":1.1,"one_worker_img_s_allreduce":1000.0,)"
     R"("two_workers_img_s_allreduce":1900.0,"scaling_allreduce":0.95,)"
     R"("vs_plain_allreduce":1.2,"one_worker_img_s_ps":1000.0,"two_workers_img_s_ps":1500.0,)"
     R"("scaling_ps":0.75,"vs_plain_ps":0.94,"plain_2_threads_img_s":1600.0,)"
     R"("pair_img_s_allreduce":2000.0,"scaling_vs_pair_allreduce":0.95,)"
     R"("pair_img_s_ps":1900.0,"scaling_vs_pair_ps":0.79})"
     "\n"},
    {"allreduce", "2   373 KB  dmlp      2.000     2.500       0.19       0.19\n"
                  R"({"p2_373kb":{"ranks":2,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("p2_4mib":{"ranks":2,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("p2_16mib":{"ranks":2,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("p4_373kb":{"ranks":4,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("p4_4mib":{"ranks":4,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("p4_16mib":{"ranks":4,"dmlp_ms":2.0,"gloo_ms":4.0,"dmlp_over_gloo":0.5,)"
                  R"("dmlp_busbw_gbs":1.0,"tcp_busbw_gbs":2.0,"dmlp_busbw_over_tcp":0.5},)"
                  R"("rows":6,"worst_dmlp_over_gloo":0.5})"
                  "\n"},
    {"recovery",
     "allreduce: recovery 120 ms = 3.0 steps after a trainer kill\n"
     R"({"samples":2560,"workers":2,"allreduce":{"step_ms_median":40.0,"trainer_kills":2,)"
     R"("steps_redone":2.0,"recovery_ms_median":120.0,"recovery_steps_median":3.0},)"
     R"("ps":{"step_ms_median":20.0,"trainer_kills":2,"steps_redone":0.0,)"
     R"("recovery_ms_median":30.0,"recovery_steps_median":1.5}})"
     "\n"},
    {"memory",
     R"({"steps":60,"reps":1,"rss_dmlp_kib":420000,"rss_plain_kib":400000,"rss_ratio":1.05})"
     "\n"},
    {"cluster",
     R"({"bench":"cluster","trials":1,"kill9_detect_ms_median":60.0,"kill9_detect_ms_p99":60.0,)"
     R"("freeze_detect_ms_median":1300.0,"freeze_detect_ms_p99":1300.0,"down_after_ms":1200,)"
     R"("remote_spawn_us_median":900.0,"remote_spawn_us_p99":900.0,)"
     R"("remote_rtt_us_median":250.0,"tcp_rtt_us_median":25.0,"remote_vs_tcp_ratio":10.0})"
     "\n"},
    {"scheduler",
     "33 ms per round\n"
     R"({"benchmark":"scheduling","round_ms":33.0,"first_fit_round_ms":1.1,"round_ratio":30.0,)"
     R"("placements_per_s":66000.0,"first_fit_placements_per_s":271000.0,)"
     R"("placement_rate_ratio":0.24})"
     "\n"},
};

const bench_spec& spec_of(const std::string& name) {
  const auto& catalog = bench_catalog();
  auto it = std::find_if(catalog.begin(), catalog.end(),
                         [&](const bench_spec& s) { return s.name == name; });
  if (it == catalog.end())
    throw std::runtime_error("no benchmark " + name);
  return *it;
}

const bench_row& row_of(const bench_outcome& outcome, const std::string& metric_prefix) {
  auto it = std::find_if(outcome.rows.begin(), outcome.rows.end(),
                         [&](const bench_row& r) { return r.metric.rfind(metric_prefix, 0) == 0; });
  if (it == outcome.rows.end())
    throw std::runtime_error("no row " + metric_prefix);
  return *it;
}

bench_outcome canned(const std::string& name) {
  return make_bench_outcome(spec_of(name), {name}, 1.0, exited_ok, canned_outputs.at(name));
}

} // namespace

TEST(bench_suite, the_catalog_covers_every_benchmark_of_the_project) {
  std::vector<std::string> names;
  for (const auto& spec : bench_catalog())
    names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"runtime", "ingest", "metadata", "workflow", "serving",
                                             "training", "allreduce", "recovery", "memory",
                                             "cluster", "scheduler"}));
}

TEST(bench_suite, every_row_of_every_benchmark_is_complete_on_its_programs_output) {
  for (const auto& spec : bench_catalog()) {
    auto outcome = canned(spec.name);
    EXPECT_EQ(outcome.error, "") << spec.name;
    ASSERT_EQ(outcome.rows.size(), spec.metrics.size()) << spec.name;
    for (const auto& row : outcome.rows) {
      EXPECT_EQ(row.note, "") << spec.name << ": " << row.metric;
      EXPECT_TRUE(row.value) << spec.name << ": " << row.metric;
    }
  }
}

TEST(bench_suite, rows_take_value_baseline_and_the_benchmarks_own_ratio) {
  auto outcome = canned("runtime");
  const auto& throughput = row_of(outcome, "request throughput");
  EXPECT_DOUBLE_EQ(throughput.value.value(), 16322.5);
  EXPECT_DOUBLE_EQ(throughput.baseline.value(), 72535.0);
  EXPECT_DOUBLE_EQ(throughput.ratio.value(), 0.225);
  ASSERT_TRUE(throughput.met);
  EXPECT_FALSE(throughput.met.value());
  const auto& restart = row_of(outcome, "restart p50");
  EXPECT_FALSE(restart.target);
  EXPECT_FALSE(restart.met);
}

TEST(bench_suite, nested_values_and_a_ratio_computed_from_value_and_baseline) {
  auto outcome = canned("serving");
  const auto& book = row_of(outcome, "hey -c 5");
  EXPECT_DOUBLE_EQ(book.value.value(), 1510.0);
  EXPECT_DOUBLE_EQ(book.baseline.value(), 95.7);
  EXPECT_NEAR(book.ratio.value(), 1510.0 / 95.7, 1e-9);
  const auto& served = row_of(outcome, "served at c=32");
  EXPECT_DOUBLE_EQ(served.value.value(), 1800.0);
  EXPECT_TRUE(served.met && served.met.value());
}

TEST(bench_suite, a_scaled_baseline_and_targets_in_both_directions) {
  auto outcome = canned("training");
  const auto& ps = row_of(outcome, "parameter servers, 2 workers vs 2 x");
  EXPECT_DOUBLE_EQ(ps.baseline.value(), 2000.0);
  EXPECT_DOUBLE_EQ(ps.ratio.value(), 0.75);
  EXPECT_FALSE(ps.met.value());
  const auto& allreduce = row_of(outcome, "all-reduce, 2 workers vs 2 x");
  EXPECT_TRUE(allreduce.met.value()); // 0.95 meets ">= 0.95"
  const auto& rss = row_of(outcome, "peak RSS");
  EXPECT_EQ(to_string(rss.target.value()), "<= 1.2");
  EXPECT_TRUE(rss.met.value());
}

TEST(bench_suite, a_row_without_a_baseline_has_no_ratio) {
  auto outcome = canned("cluster");
  const auto& kill9 = row_of(outcome, "kill -9 detection");
  EXPECT_DOUBLE_EQ(kill9.value.value(), 60.0);
  EXPECT_FALSE(kill9.baseline);
  EXPECT_FALSE(kill9.ratio);
  EXPECT_EQ(kill9.note, "");
  const auto& freeze = row_of(outcome, "freeze detection");
  EXPECT_NEAR(freeze.ratio.value(), 1300.0 / 1200.0, 1e-9);
}

TEST(bench_suite, a_missing_number_is_named_in_the_rows_note) {
  auto outcome = make_bench_outcome(spec_of("workflow"), {"workflow_bench"}, 1.0, exited_ok,
                                    R"({"bench":"workflow","engine_us_per_step":10.0})");
  ASSERT_EQ(outcome.error, "");
  ASSERT_EQ(outcome.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(outcome.rows[0].value.value(), 10.0);
  EXPECT_FALSE(outcome.rows[0].baseline);
  EXPECT_EQ(outcome.rows[0].note, "no number at /baseline_us_per_step /ratio");
}

TEST(bench_suite, failed_runs_and_output_without_a_json_line_are_errors_without_rows) {
  const auto& spec = spec_of("scheduler");
  auto failed = make_bench_outcome(spec, {"x"}, 1.0, exited_1, canned_outputs.at("scheduler"));
  EXPECT_EQ(failed.error, "exited with status 1");
  EXPECT_TRUE(failed.rows.empty());
  auto killed = make_bench_outcome(spec, {"x"}, 1.0, killed_by_sigkill, "");
  EXPECT_EQ(killed.error, "killed by signal 9");
  auto silent = make_bench_outcome(spec, {"x"}, 1.0, exited_ok, "\n \n");
  EXPECT_EQ(silent.error, "printed nothing on stdout");
  auto prose = make_bench_outcome(spec, {"x"}, 1.0, exited_ok, "{\"a\":1}\nratio 9.36\n");
  EXPECT_EQ(prose.error, "the last line of its output is not a JSON object: ratio 9.36");
  auto array = make_bench_outcome(spec, {"x"}, 1.0, exited_ok, "[1,2]\n");
  EXPECT_NE(array.error, "");
  auto truncated = make_bench_outcome(spec, {"x"}, 1.0, exited_ok, "{\"round_ms\":");
  EXPECT_NE(truncated.error, "");
  EXPECT_TRUE(truncated.rows.empty());
}

TEST(bench_suite, the_table_has_a_line_per_row_and_names_failures) {
  std::vector<bench_outcome> outcomes{canned("runtime"), canned("workflow")};
  outcomes.push_back(
      make_bench_outcome(spec_of("serving"), {"serving_bench"}, 1.0, exited_1, "hey missing\n"));
  auto table = format_bench_table(outcomes);
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(table.substr(start, end - start));
  ASSERT_EQ(lines.size(), 1u + 2 + 1 + 1);
  EXPECT_EQ(lines[0].rfind("benchmark  metric", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("value"), std::string::npos);
  EXPECT_NE(lines[0].find("baseline"), std::string::npos);
  EXPECT_NE(lines[0].find("ratio"), std::string::npos);
  EXPECT_NE(lines[0].find("target"), std::string::npos);
  EXPECT_NE(lines[2].find("16322"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("72535"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("0.225"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(">= 0.95 MISSED"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("25.43"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[4], "serving: FAILED (exited with status 1)");
}

TEST(bench_suite, the_json_report_has_every_row_and_the_failed_benchmarks) {
  std::vector<bench_outcome> outcomes{canned("cluster"), canned("training")};
  outcomes.push_back(make_bench_outcome(spec_of("ingest"), {"ingest_bench", "--json"}, 2.5,
                                        killed_by_sigkill, ""));
  auto report = bench_report_json(outcomes, true);
  EXPECT_EQ(report["quick"], true);
  ASSERT_EQ(report["benchmarks"].size(), 3u);
  EXPECT_EQ(report["benchmarks"][0]["ok"], true);
  EXPECT_EQ(report["benchmarks"][0]["result"]["remote_rtt_us_median"], 250.0);
  EXPECT_EQ(report["benchmarks"][2]["ok"], false);
  EXPECT_EQ(report["benchmarks"][2]["command"], (nlohmann::json{"ingest_bench", "--json"}));
  EXPECT_EQ(report["benchmarks"][2]["error"], "killed by signal 9");
  EXPECT_EQ(report["failed"], nlohmann::json{"ingest"});
  ASSERT_EQ(report["rows"].size(),
            spec_of("cluster").metrics.size() + spec_of("training").metrics.size());
  const auto& kill9 = report["rows"][2];
  EXPECT_EQ(kill9["metric"], "kill -9 detection, median");
  EXPECT_TRUE(kill9["baseline"].is_null());
  EXPECT_TRUE(kill9["ratio"].is_null());
  EXPECT_TRUE(kill9["target"].is_null());
  EXPECT_TRUE(kill9["met"].is_null());
  const auto& rss = report["rows"].back();
  EXPECT_EQ(rss["target"], "<= 1.2");
  EXPECT_EQ(rss["met"], true);
  EXPECT_EQ(rss["value"], 330000.0);
}
