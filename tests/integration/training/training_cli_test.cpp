// `dmlp train` as a user runs it: a short job (--train-samples) with --json and --out prints the
// documented keys as its last line and saves a model version with its preprocessing record;
// inconsistent options fail with one line on stderr and a non-zero exit.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct run_result {
  int code = -1;
  std::string out;
};

run_result run(const std::string& args) {
  std::string cmd = std::string{std::getenv("DMLP_BIN_DIR")} + "/dmlp " + args;
  run_result r;
  auto pipe = ::popen(cmd.c_str(), "r");
  if (!pipe)
    return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    r.out.append(buf, n);
  auto status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos)
    return {};
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

} // namespace

TEST(training_cli, short_ps_job_prints_json_and_saves_the_model) {
  auto dir = fs::temp_directory_path() / ("dmlp-train-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto r = run("train --model cnn --strategy ps --workers 2 --ps-shards 2 --consistency ssp "
               "--staleness 1 --epochs 1 --batch-size 64 --threads 1 --train-samples 1024 "
               "--test-samples 500 --out " +
               dir.string() + " --json 2>/dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(last_line(r.out));
  for (auto key : {"model", "strategy", "workers", "epochs", "test_accuracy", "train_images_per_s",
                   "steps", "restarts", "samples_trained", "partial_pushes"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(j["partial_pushes"], 0);
  EXPECT_EQ(j["model"], "cnn");
  EXPECT_EQ(j["strategy"], "ps");
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["samples_trained"], 1024);
  EXPECT_TRUE(fs::exists(dir / "1" / "preprocessing.json"));
  EXPECT_TRUE(fs::exists(dir / "1" / "weights.dmlpw"));
  EXPECT_TRUE(fs::exists(dir / "1" / "model.json"));
  fs::remove_all(dir);
}

TEST(training_cli, inconsistent_options_fail_with_one_line) {
  auto r =
      run("train --workers 2 --min-workers 3 --max-workers 2 --train-samples 256 2>&1 >/dev/null");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("dmlp train: "), std::string::npos) << r.out;
  auto lines = std::count(r.out.begin(), r.out.end(), '\n');
  EXPECT_EQ(lines, 1) << r.out;
  r = run("train --strategy gossip 2>&1 >/dev/null");
  EXPECT_NE(r.code, 0);
  r = run("train --train-samples 256 --seeds 127.0.0.1:1 --config /nonexistent/client.yaml "
          "2>&1 >/dev/null");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("/nonexistent/client.yaml"), std::string::npos) << r.out;
}
