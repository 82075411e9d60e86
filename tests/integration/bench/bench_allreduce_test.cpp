// bench_allreduce as a real process (issue 5): a quick run between 2 worker processes gives, for
// every size, dmlp's ring (over ring links and over CAF's middleman), c10d's Gloo and the raw
// socket ring with positive times and
// bandwidths and the ratios computed from them, in the JSON last line (the workers check their
// sums; a wrong one fails the run). Bad options are refused with a clear message.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/shell.hpp"

namespace {

using dmlp::testing::run_shell;

std::string program() {
  return dmlp::testing::build_binary("bench/bench_allreduce");
}

} // namespace

TEST(bench_allreduce, quick_run_between_two_processes_reports_every_size_and_method) {
  if (!std::filesystem::exists(program()))
    GTEST_SKIP() << "bench_allreduce not built (needs libgloo-dev)";
  auto r = run_shell(program() + " --quick --ranks 2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto report = dmlp::testing::last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["rows"], 3);
  for (const auto* key : {"p2_373kb", "p2_4mib", "p2_16mib"}) {
    ASSERT_TRUE(report.contains(key)) << key;
    const auto& row = report[key];
    EXPECT_EQ(row["ranks"], 2);
    for (const auto* method : {"dmlp", "dmlp_basp", "gloo", "tcp"}) {
      auto ms = row[std::string{method} + "_ms"].get<double>();
      EXPECT_GT(ms, 0) << key << " " << method;
      EXPECT_GE(row[std::string{method} + "_p90_ms"].get<double>(), ms) << key << " " << method;
      EXPECT_GT(row[std::string{method} + "_busbw_gbs"].get<double>(), 0) << key << " " << method;
    }
    EXPECT_DOUBLE_EQ(row["dmlp_over_gloo"].get<double>(),
                     row["dmlp_ms"].get<double>() / row["gloo_ms"].get<double>());
    EXPECT_DOUBLE_EQ(row["dmlp_basp_over_gloo"].get<double>(),
                     row["dmlp_basp_ms"].get<double>() / row["gloo_ms"].get<double>());
    // P = 2: the bus bandwidth equals the algorithm bandwidth, 2 (P − 1) / P = 1.
    EXPECT_DOUBLE_EQ(row["dmlp_busbw_gbs"].get<double>(), row["dmlp_algbw_gbs"].get<double>());
  }
  EXPECT_EQ(report["p2_373kb"]["bytes"], 93'322 * 4);
  EXPECT_NE(r.out.find("dmlp / gloo time"), std::string::npos) << r.out;
}

TEST(bench_allreduce, refuses_bad_options_with_a_reason) {
  if (!std::filesystem::exists(program()))
    GTEST_SKIP() << "bench_allreduce not built (needs libgloo-dev)";
  auto three = run_shell(program() + " --ranks 3");
  EXPECT_EQ(three.code, 2);
  EXPECT_NE(three.out.find("--ranks takes 2, 4, not '3'"), std::string::npos) << three.out;
  auto method = run_shell(program() + " --methods dmlp,nccl");
  EXPECT_EQ(method.code, 2);
  EXPECT_NE(method.out.find("--methods takes dmlp, dmlp_basp, gloo, tcp, not 'nccl'"),
            std::string::npos)
      << method.out;
  auto iters = run_shell(program() + " --iters many");
  EXPECT_EQ(iters.code, 2);
  EXPECT_NE(iters.out.find("--iters takes a whole number"), std::string::npos) << iters.out;
}
