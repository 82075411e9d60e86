// The CLI end to end as a real process: `dmlp workflow run` on configs/pipelines/fanout-demo.yaml
// with a temp database, then `dmlp runs list/show` and `dmlp lineage` (--json), a memoized
// second run, `workflow resume` of a finished run, `workflow gc`, and the clear one-line
// errors for a corrupt and a locked database and a bad workflow file.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/wait.h>

namespace {

struct result {
  int code = -1;
  std::string out;
};

result sh(const std::string& command) {
  result r;
  auto pipe = popen((command + " 2>&1").c_str(), "r");
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.out.append(buffer.data(), n);
  auto status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

nlohmann::json last_json(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  auto start = out.rfind('\n', end);
  auto line = out.substr(start == std::string::npos ? 0 : start + 1, end - start);
  return nlohmann::json::parse(line);
}

class workflow_cli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dmlp-cli-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    bin_ = std::string{std::getenv("DMLP_BIN_DIR")} + "/dmlp";
    src_ = std::getenv("DMLP_SOURCE_DIR");
    db_ = (dir_ / "metadata.db").string();
    flags_ = " --db " + db_ + " --artifacts " + (dir_ / "artifacts").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  result dmlp(const std::string& args) { return sh(bin_ + " " + args); }

  std::filesystem::path dir_;
  std::string bin_, src_, db_, flags_;
};

} // namespace

TEST_F(workflow_cli, run_list_show_lineage_memo_resume_and_gc) {
  auto run = dmlp("workflow run " + src_ + "/configs/pipelines/fanout-demo.yaml --run-id r1" +
                  flags_ + " --json");
  ASSERT_EQ(run.code, 0) << run.out;
  auto j = last_json(run.out);
  EXPECT_EQ(j["status"], "succeeded");
  EXPECT_EQ(j["steps"]["square[3]"], "complete");
  EXPECT_EQ(j["steps"]["report"], "complete");

  auto list = dmlp("runs list --db " + db_ + " --json");
  ASSERT_EQ(list.code, 0) << list.out;
  auto runs = last_json(list.out)["runs"];
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["name"], "r1");
  EXPECT_EQ(runs[0]["state"], "succeeded");

  auto show = dmlp("runs show r1 --db " + db_ + " --json");
  ASSERT_EQ(show.code, 0) << show.out;
  auto detail = last_json(show.out);
  int64_t joined = 0;
  for (const auto& x : detail["executions"]) {
    if (x["name"] == "total") {
      EXPECT_EQ(x["outputs"]["sum"], 14.0);
    }
  }
  for (const auto& a : detail["artifacts"])
    if (a["uri"].get<std::string>().find("joined.txt") != std::string::npos)
      joined = a["id"];
  ASSERT_NE(joined, 0);

  auto lineage =
      dmlp("lineage " + std::to_string(joined) + " --direction up --db " + db_ + " --json");
  ASSERT_EQ(lineage.code, 0) << lineage.out;
  auto graph = last_json(lineage.out);
  EXPECT_EQ(graph["artifacts"].size(), 3u);
  EXPECT_EQ(graph["executions"].size(), 4u);
  auto text = dmlp("lineage " + std::to_string(joined) + " --db " + db_);
  EXPECT_NE(text.out.find("execution"), std::string::npos);

  auto again = dmlp("workflow run " + src_ + "/configs/pipelines/fanout-demo.yaml --run-id r2" +
                    flags_ + " --json");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(last_json(again.out)["steps"]["square[2]"], "memoized");

  auto resume = dmlp("workflow resume r1" + flags_ + " --json");
  ASSERT_EQ(resume.code, 0) << resume.out;
  EXPECT_EQ(last_json(resume.out)["status"], "succeeded");

  auto gc = dmlp("workflow gc --horizon 0ms" + flags_ + " --json");
  ASSERT_EQ(gc.code, 0) << gc.out;
  EXPECT_EQ(last_json(gc.out)["entries_removed"], 4);
}

TEST_F(workflow_cli, failures_give_one_clear_line_and_nonzero_exit) {
  {
    std::ofstream out{db_, std::ios::binary};
    out << std::string(4096, 'z');
  }
  auto corrupt = dmlp("runs list --db " + db_);
  EXPECT_NE(corrupt.code, 0);
  EXPECT_NE(corrupt.out.find("metadata.corrupt"), std::string::npos) << corrupt.out;
  std::filesystem::remove(db_);

  auto bad = dmlp("workflow run " + src_ + "/configs/pipelines/missing.yaml" + flags_);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("workflow.invalid_spec"), std::string::npos) << bad.out;

  auto failing = (dir_ / "failing.yaml").string();
  std::ofstream{failing} << "name: failing\nsteps:\n  - {name: gone, type: fail, "
                            "parameters: {code: data_missing}}\n";
  auto failed = dmlp("workflow run " + failing + flags_ + " --json");
  EXPECT_EQ(failed.code, 1);
  EXPECT_EQ(last_json(failed.out)["status"], "failed");
  EXPECT_NE(last_json(failed.out)["failure"].get<std::string>().find("step.data_missing"),
            std::string::npos);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto gc = dmlp("workflow gc" + flags_);
  EXPECT_NE(gc.code, 0);
  EXPECT_NE(gc.out.find("metadata.locked"), std::string::npos) << gc.out;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  auto unknown = dmlp("runs show nope --db " + db_);
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.out.find("metadata.not_found"), std::string::npos) << unknown.out;
}
