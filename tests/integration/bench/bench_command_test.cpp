// `dmlp bench all` as a real process: the quick workflow benchmark through the suite (a few
// seconds), its table, JSON line and report file; an unknown --only name; a missing program.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class bench_command : public ::testing::Test {
protected:
  void SetUp() override {
    bin_dir_ = std::getenv("DMLP_BIN_DIR");
    dir_ = fs::temp_directory_path() / ("dmlp-bench-cli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `dmlp bench all ARGS`, stdout and stderr captured apart.
  run_result bench_all(const std::string& args) {
    auto err_file = dir_ / "stderr.txt";
    auto command = bin_dir_ + "/dmlp bench all " + args + " 2>" + err_file.string();
    run_result r;
    auto* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
      r.out.append(buffer, n);
    auto status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err_file);
    return r;
  }

  std::string bin_dir_;
  fs::path dir_;
};

nlohmann::json last_line_json(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  auto start = out.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return nlohmann::json::parse(out.substr(start, end - start + 1));
}

} // namespace

TEST_F(bench_command, quick_workflow_benchmark_gives_a_table_a_json_line_and_a_report) {
  if (!fs::exists(bin_dir_ + "/bench/workflow_bench"))
    GTEST_SKIP() << "benchmarks not built (DMLP_BUILD_BENCH=OFF)";
  auto report_file = dir_ / "results.json";
  auto r = bench_all("--quick --only workflow --json --out " + report_file.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("[1/1] workflow: "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("benchmark  metric"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("workflow   engine per step vs spawn + ask a step actor  us/step"),
            std::string::npos)
      << r.out;
  auto report = last_line_json(r.out);
  EXPECT_EQ(report["quick"], true);
  EXPECT_TRUE(report["failed"].empty());
  ASSERT_EQ(report["benchmarks"].size(), 1u);
  const auto& run = report["benchmarks"][0];
  EXPECT_EQ(run["name"], "workflow");
  EXPECT_EQ(run["ok"], true);
  EXPECT_EQ(run["result"]["steps"], 100) << "--quick passes --steps 100";
  ASSERT_EQ(report["rows"].size(), 1u);
  const auto& row = report["rows"][0];
  EXPECT_GT(row["value"].get<double>(), 0);
  EXPECT_GT(row["baseline"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(row["ratio"].get<double>(), run["result"]["ratio"].get<double>());
  EXPECT_TRUE(row["note"].is_null());
  EXPECT_EQ(nlohmann::json::parse(read_file(report_file)), report);
}

TEST_F(bench_command, an_unknown_benchmark_name_is_refused_with_the_known_names) {
  auto r = bench_all("--only workflow,nosuch --out " + (dir_ / "r.json").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dmlp bench all: unknown benchmark 'nosuch' (known: runtime, ingest,"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "r.json"));
}

TEST_F(bench_command, a_missing_program_fails_that_benchmark_and_the_report_says_so) {
  auto report_file = dir_ / "r.json";
  auto r = bench_all("--only scheduler --json --bench-dir " + (dir_ / "none").string() + " --out " +
                     report_file.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("scheduler: FAILED (no executable "), std::string::npos) << r.out;
  auto report = last_line_json(r.out);
  EXPECT_EQ(report["failed"], nlohmann::json{"scheduler"});
  EXPECT_TRUE(report["rows"].empty());
  EXPECT_TRUE(fs::exists(report_file));
}
