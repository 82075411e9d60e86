// `dmlp pipeline run --seeds` on a local cluster of real dmlp-node processes (a head that hosts
// the scheduler, two workers): the cluster's scheduler admits the three training jobs, their
// trainers run on the worker nodes (trainer_selector=role=worker), and the worker hosting the
// most trainers is killed with SIGKILL while they train. The run succeeds, every model
// accounts for every sample of every epoch exactly once, and the lost trainers were placed
// again on the surviving worker. Also: the same pipeline on a TLS cluster (--config).
#include <signal.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/chaos/cluster/cluster_harness.hpp"
#include "tests/support/shell.hpp"

namespace fs = std::filesystem;
using dmlp::testing::cluster_harness;

namespace {

constexpr uint64_t samples = 2048;

size_t trainers_started(cluster_harness& cluster, const std::string& node) {
  return cluster.role_starts(node, "trainer");
}

// `dmlp pipeline run` of the book's project against `head`, state under `home`; `extra` flags.
std::string pipeline_command(const std::string& head, const fs::path& home,
                             const std::string& extra = "") {
  auto config =
      std::string{std::getenv("DMLP_SOURCE_DIR")} + "/configs/pipelines/fashion_mnist.yaml";
  return dmlp::testing::build_binary("dmlp") + " pipeline run " + config +
         " -p train_samples=" + std::to_string(samples) +
         " -p test_samples=512 -p eval_samples=128 -p port=0 -p smoke_requests=64"
         " -p trainer_selector=role=worker --seeds " +
         head + extra + " --db " + (home / "metadata.db").string() + " --artifacts " +
         (home / "artifacts").string() + " --cache-dir " + (home / "cache").string() +
         " --json 2>" + (home / "stderr.log").string();
}

fs::path fresh_home(const std::string& name) {
  auto home = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::create_directories(home);
  return home;
}

} // namespace

TEST(pipeline_cluster, survives_a_killed_worker_node) {
  cluster_harness cluster{3, 0, 5};
  cluster.start();
  auto home = fresh_home("dmlp-pipeline-cluster");
  auto command = pipeline_command(cluster.node("head").address, home);
  dmlp::testing::shell_result result;
  std::thread runner{[&] { result = dmlp::testing::run_shell(command, false); }};

  // Every job's two trainers are placed on the workers; then the busier worker is lost.
  bool placed = cluster_harness::wait_for(
      [&] {
        return trainers_started(cluster, "worker-1") + trainers_started(cluster, "worker-2") >= 6;
      },
      std::chrono::seconds{120});
  auto on_first = trainers_started(cluster, "worker-1");
  auto on_second = trainers_started(cluster, "worker-2");
  std::string victim = on_first >= on_second ? "worker-1" : "worker-2";
  std::string survivor = victim == "worker-1" ? "worker-2" : "worker-1";
  auto survivor_before = trainers_started(cluster, survivor);
  if (placed)
    cluster.signal(victim, SIGKILL);
  runner.join();
  ASSERT_TRUE(placed) << "trainers were not placed on the workers; logs in " << cluster.dir();
  ASSERT_EQ(result.code, 0) << result.out << "; logs in " << cluster.dir() << " and " << home;
  auto s = dmlp::testing::last_json_line(result.out);
  ASSERT_TRUE(s.is_object()) << result.out;
  ASSERT_EQ(s["status"], "succeeded") << s.dump(2);
  ASSERT_EQ(s["models"].size(), 3u);
  uint64_t restarts = 0;
  for (const auto& m : s["models"]) {
    EXPECT_EQ(m["samples_trained"], m["epochs"].get<uint64_t>() * samples) << m.dump();
    EXPECT_GT(m["test_accuracy"].get<double>(), 0.3) << m.dump();
    restarts += m["restarts"].get<uint64_t>();
  }
  EXPECT_GE(restarts, 1u) << s.dump(2);
  EXPECT_GT(trainers_started(cluster, survivor), survivor_before);
  EXPECT_EQ(trainers_started(cluster, "head"), 0u);
  EXPECT_EQ(s["serving"]["errors"], 0);
  fs::remove_all(home);
}

TEST(pipeline_cluster, runs_on_a_tls_cluster) {
  auto tls = cluster_harness::start_tls(2, 6);
  auto& cluster = *tls;
  auto home = fresh_home("dmlp-pipeline-tls");
  auto result = dmlp::testing::run_shell(
      pipeline_command(cluster.node("head").address, home, " --config " + cluster.client_yaml()),
      false);
  ASSERT_EQ(result.code, 0) << result.out << "; logs in " << cluster.dir() << " and " << home;
  auto s = dmlp::testing::last_json_line(result.out);
  ASSERT_TRUE(s.is_object()) << result.out;
  ASSERT_EQ(s["status"], "succeeded") << s.dump(2);
  ASSERT_EQ(s["models"].size(), 3u);
  for (const auto& m : s["models"])
    EXPECT_EQ(m["samples_trained"], m["epochs"].get<uint64_t>() * samples) << m.dump();
  // Every job's two trainers ran on the worker, over TLS.
  EXPECT_EQ(trainers_started(cluster, "worker-1"), 6u);
  EXPECT_EQ(trainers_started(cluster, "head"), 0u);
  fs::remove_all(home);
}
