// The full-size pipeline (configs/pipelines/fashion_mnist.yaml unchanged, in one process) as a
// `long` test: the selected model reaches the project's 0.91 test accuracy on all 10,000 test
// images, every training accounts for every sample of every epoch exactly once, and the served
// endpoint answers the smoke load without errors. Reports the run's seconds for the record.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/shell.hpp"

namespace fs = std::filesystem;

TEST(pipeline_accuracy, selected_model_reaches_the_target) {
  auto home = fs::temp_directory_path() / ("dmlp-pipeline-long-" + std::to_string(::getpid()));
  fs::remove_all(home);
  auto config =
      std::string{std::getenv("DMLP_SOURCE_DIR")} + "/configs/pipelines/fashion_mnist.yaml";
  auto result = dmlp::testing::run_shell(
      dmlp::testing::build_binary("dmlp") + " pipeline run " + config + " -p port=0 --db " +
          (home / "metadata.db").string() + " --artifacts " + (home / "artifacts").string() +
          " --cache-dir " + (home / "cache").string() + " --json",
      false);
  ASSERT_EQ(result.code, 0) << result.out;
  auto s = dmlp::testing::last_json_line(result.out);
  ASSERT_TRUE(s.is_object()) << result.out;
  EXPECT_GE(s["selected_accuracy"].get<double>(), 0.91) << s.dump(2);
  for (const auto& m : s["models"])
    EXPECT_EQ(m["samples_trained"], m["epochs"].get<uint64_t>() * 60000) << m.dump();
  EXPECT_EQ(s["serving"]["errors"], 0);
  std::cout << "pipeline: " << s["seconds"] << " s, selected " << s["selected"] << " at "
            << s["selected_accuracy"] << "\n";
  fs::remove_all(home);
}
