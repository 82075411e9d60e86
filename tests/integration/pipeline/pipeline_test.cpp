// The end-to-end pipeline through `dmlp pipeline run` on the shipped configuration, reduced
// with -p overrides (1,024 training samples per epoch): every stage's outputs, the report
// files, memoization on a second run, a served endpoint that answers, chaos (a trainer, the
// ingest coordinator and a serving replica killed during the run) with exact sample
// accounting, and clear failures for bad input. The full-size run with its accuracy target is
// the `long` test pipeline_accuracy_test.
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/shell.hpp"

namespace fs = std::filesystem;
using dmlp::testing::build_binary;
using dmlp::testing::last_json_line;
using dmlp::testing::run_shell;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class pipeline_cli : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    home_ = fs::temp_directory_path() / ("dmlp-pipeline-test-" + std::to_string(::getpid()));
    fs::remove_all(home_);
    fs::create_directories(home_);
  }

  static void TearDownTestSuite() { fs::remove_all(home_); }

  /// Runs the shipped pipeline reduced to a short run; `extra` adds flags.
  static dmlp::testing::shell_result run(const std::string& db, const std::string& extra = "",
                                         const std::string& file = "fashion_mnist.yaml") {
    auto config = std::string{std::getenv("DMLP_SOURCE_DIR")} + "/configs/pipelines/" + file;
    auto command = build_binary("dmlp") + " pipeline run " + config +
                   " -p train_samples=1024 -p test_samples=512 -p eval_samples=128 -p port=0"
                   " -p smoke_requests=64 --db " +
                   (home_ / db).string() + " --artifacts " + (home_ / "artifacts").string() +
                   " --cache-dir " + (home_ / "cache").string() + " --json " + extra;
    return run_shell(command + " 2>" + (home_ / "stderr.log").string(), false);
  }

  static void expect_complete(const json& s) {
    ASSERT_EQ(s["status"], "succeeded") << s.dump(2);
    ASSERT_EQ(s["models"].size(), 3u);
    std::vector<std::string> names;
    for (const auto& m : s["models"]) {
      names.push_back(m["name"]);
      EXPECT_GT(m["test_accuracy"].get<double>(), 0.1) << m.dump();
      EXPECT_LE(m["test_accuracy"].get<double>(), 1.0);
      // Exactly-once: every epoch's samples trained once, none lost.
      EXPECT_EQ(m["samples_trained"], m["epochs"].get<uint64_t>() * 1024) << m.dump();
      EXPECT_EQ(m["samples_trained"], m["samples_expected"]);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"cnn", "dropout", "batch_norm"}));
    // The selected model is the most accurate one, the earlier one on a tie.
    size_t best = 0;
    for (size_t i = 1; i < 3; ++i)
      if (s["models"][i]["test_accuracy"] > s["models"][best]["test_accuracy"])
        best = i;
    EXPECT_EQ(s["selected"], s["models"][best]["name"]);
    EXPECT_EQ(s["selected_accuracy"], s["models"][best]["test_accuracy"]);
    const auto& serving = s["serving"];
    EXPECT_EQ(serving["url"].get<std::string>().rfind("http://127.0.0.1:", 0), 0u);
    EXPECT_EQ(serving["requests"], 64);
    EXPECT_EQ(serving["errors"], 0) << serving.dump();
    EXPECT_GT(serving["requests_per_s"].get<double>(), 0);
    EXPECT_GT(serving["p99_ms"].get<double>(), 0);
    // The served model answers like the selected one did on the same images.
    EXPECT_GT(serving["accuracy"].get<double>(), 0.1);
  }

  static inline fs::path home_;
};

TEST_F(pipeline_cli, runs_every_stage_writes_the_report_and_memoizes_the_second_run) {
  auto first = run("metadata.db");
  ASSERT_EQ(first.code, 0) << first.out << slurp(home_ / "stderr.log");
  auto s = last_json_line(first.out);
  ASSERT_TRUE(s.is_object()) << first.out;
  expect_complete(s);
  EXPECT_TRUE(s["memoized_steps"].empty()) << s.dump();
  EXPECT_GT(s["seconds"].get<double>(), 0);

  // The report directory.
  fs::path report = s["report"].get<std::string>();
  EXPECT_EQ(json::parse(slurp(report / "summary.json"))["run_id"], s["run_id"]);
  for (const auto* model : {"cnn", "dropout", "batch_norm"}) {
    auto csv = slurp(report / "metrics" / (std::string{model} + ".csv"));
    EXPECT_EQ(csv.rfind("seconds,epoch,step,loss,samples,images_per_s,test_accuracy\n", 0), 0u);
    EXPECT_GE(std::count(csv.begin(), csv.end(), '\n'), 3) << model;
  }
  std::istringstream confusion{slurp(report / "confusion.csv")};
  std::string line;
  std::getline(confusion, line);
  uint64_t total = 0;
  int rows = 0;
  while (std::getline(confusion, line)) {
    ++rows;
    std::istringstream cells{line};
    std::string cell;
    std::getline(cells, cell, ',');
    while (std::getline(cells, cell, ','))
      total += std::stoull(cell);
  }
  EXPECT_EQ(rows, 10);
  EXPECT_EQ(total, 512u);
  for (const auto* png : {"loss.png", "accuracy.png", "confusion.png"})
    EXPECT_EQ(slurp(report / png).substr(0, 4), "\x89PNG") << png;
  auto lineage = slurp(report / "lineage.json");
  EXPECT_NE(lineage.find("ingest_dataset"), std::string::npos);
  EXPECT_NE(lineage.find("train_model"), std::string::npos);

  // An immediate second run reuses ingest, the trainings and the selection, and still serves.
  auto second = run("metadata.db");
  ASSERT_EQ(second.code, 0) << second.out << slurp(home_ / "stderr.log");
  auto again = last_json_line(second.out);
  expect_complete(again);
  std::set<std::string> memoized(again["memoized_steps"].begin(), again["memoized_steps"].end());
  EXPECT_EQ(memoized,
            (std::set<std::string>{"ingest", "train[0]", "train[1]", "train[2]", "select"}));
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(again["models"][i]["test_accuracy"], s["models"][i]["test_accuracy"]);
  EXPECT_NE(again["run_id"], s["run_id"]);
}

TEST_F(pipeline_cli, completes_with_exact_accounting_when_actors_are_killed) {
  // Fresh database and a different seed-free recipe key (the faults are parameters), so the
  // trainings really run and really lose a trainer and the ingest coordinator.
  auto result = run("chaos.db", "-p 'faults=[{\"kind\":\"kill_trainer\",\"at_step\":3},"
                                "{\"kind\":\"kill_coordinator\",\"at_step\":6}]'"
                                " -p kill_replica_at=20");
  ASSERT_EQ(result.code, 0) << result.out << slurp(home_ / "stderr.log");
  auto s = last_json_line(result.out);
  expect_complete(s);
  for (const auto& m : s["models"])
    EXPECT_GE(m["restarts"].get<int>(), 2) << m.dump();
}

TEST_F(pipeline_cli, async_variant_serves_the_first_model_and_ends_serving_the_best) {
  auto result = run("async.db", "", "fashion_mnist_async.yaml");
  ASSERT_EQ(result.code, 0) << result.out << slurp(home_ / "stderr.log");
  auto s = last_json_line(result.out);
  expect_complete(s);
  // Hot swaps publish new versions of the served directory; the last one is the selection.
  EXPECT_EQ(s["serving"]["served_model_dir"], s["serving"]["model_dir"]) << s.dump(2);
  EXPECT_GE(s["serving"]["served_version"].get<int>(), 1);
}

TEST_F(pipeline_cli, bad_input_fails_clearly_naming_the_step) {
  auto missing = run("bad.db", "-p dataset=no-such-dataset");
  EXPECT_EQ(missing.code, 1);
  auto s = last_json_line(missing.out);
  ASSERT_TRUE(s.is_object()) << missing.out;
  EXPECT_EQ(s["status"], "failed");
  EXPECT_NE(s["failure"].get<std::string>().find("ingest"), std::string::npos) << s.dump();
  EXPECT_NE(slurp(home_ / "stderr.log").find("no-such-dataset"), std::string::npos);

  auto broken = home_ / "broken.yaml";
  std::ofstream{broken}
      << "name: x\nsteps:\n  - name: a\n    type: ingest_dataset\n    colour: red\n";
  auto bad_file = run_shell(build_binary("dmlp") + " pipeline run " + broken.string());
  EXPECT_EQ(bad_file.code, 2);
  EXPECT_NE(bad_file.out.find("colour"), std::string::npos) << bad_file.out;
}

} // namespace
