// Training on the nodes of a real cluster: a head and two workers (dmlp-node processes on
// 127.0.0.1), trainers placed on the workers through the `trainer` role, coordinator, master
// and shards in the test process. A worker process is killed with SIGKILL once the job has
// committed some steps; the lost trainer is placed again on the surviving worker, and the run
// completes with every sample trained exactly once per epoch. Also: `dmlp train --seeds
// --json` end to end, on a plaintext and on a TLS cluster (--config), and a cluster that cannot
// be reached.
#include <signal.h>

#include <atomic>
#include <fstream>

#include <gtest/gtest.h>

#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"
#include "tests/chaos/cluster/cluster_harness.hpp"
#include "tests/support/shell.hpp"

using namespace dmlp::training;
using dmlp::testing::cluster_harness;

namespace {

constexpr uint64_t samples = 4096;
constexpr uint32_t epochs = 2;

job_options on_cluster(cluster_harness& cluster, strategy kind) {
  job_options o;
  o.kind = kind;
  o.workers = 2;
  o.epochs = epochs;
  o.train_samples = samples;
  o.test_samples = 2000;
  o.checkpoint_every = 5;
  o.seeds = {cluster.node("head").address};
  o.placement = "label:role=worker";
  return o;
}

size_t trainers_started(cluster_harness& cluster, const std::string& node) {
  return cluster.role_starts(node, "trainer");
}

void survive_node_kill(strategy kind, uint32_t port_slot) {
  cluster_harness cluster{3, 0, port_slot};
  cluster.start();
  auto o = on_cluster(cluster, kind);
  auto victim = cluster.node("worker-1").pid;
  std::atomic<uint64_t> killed_at{0};
  // After the first epoch's third of the steps: both trainers are placed and stepping.
  o.on_progress = [&](uint64_t steps, uint64_t, double, uint64_t, uint32_t) {
    uint64_t none = 0;
    if (steps >= 10 && killed_at.compare_exchange_strong(none, steps))
      ::kill(victim, SIGKILL);
  };
  auto report = run_training(o);
  ASSERT_TRUE(report) << dmlp::describe(report.error()) << "; logs in " << cluster.dir();
  EXPECT_GE(killed_at.load(), 10u);
  EXPECT_FALSE(dmlp::runtime::process_alive(victim));
  EXPECT_GE(report->restarts, 1u);
  EXPECT_EQ(report->samples_trained, epochs * samples);
  EXPECT_EQ(report->samples_committed, epochs * samples);
  EXPECT_EQ(report->final_workers, 2u);
  // The killed node could cut short at most its trainer's one push in flight.
  EXPECT_LE(report->partial_pushes, kind == strategy::ps ? 1u : 0u);
  // One trainer ran on each worker, and the lost one was placed again on the survivor.
  EXPECT_EQ(trainers_started(cluster, "worker-1"), 1u);
  EXPECT_EQ(trainers_started(cluster, "worker-2"), 2u);
  EXPECT_EQ(trainers_started(cluster, "head"), 0u);
  EXPECT_GT(report->test_accuracy, 0.5);
}

} // namespace

TEST(training_node_chaos, allreduce_survives_a_killed_node) {
  survive_node_kill(strategy::allreduce, 1);
}

TEST(training_node_chaos, ps_survives_a_killed_node) {
  survive_node_kill(strategy::ps, 2);
}

TEST(training_node_chaos, cli_trains_on_cluster_nodes) {
  cluster_harness cluster{2, 0, 3};
  cluster.start();
  auto result = dmlp::testing::run_shell(
      dmlp::testing::build_binary("dmlp") + " train --model cnn --strategy allreduce --workers 2" +
      " --epochs 1 --train-samples 2048 --test-samples 500 --seeds " +
      cluster.node("head").address + " --placement any --json 2>/dev/null");
  ASSERT_EQ(result.code, 0) << result.out;
  auto j = dmlp::testing::last_json_line(result.out);
  ASSERT_TRUE(j.is_object()) << result.out;
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["samples_trained"], 2048);
  EXPECT_EQ(trainers_started(cluster, "head") + trainers_started(cluster, "worker-1"), 2u);
}

TEST(training_node_chaos, cli_trains_on_a_tls_cluster) {
  auto tls = cluster_harness::start_tls(2, 4);
  auto& cluster = *tls;
  auto certs = cluster.client_yaml().substr(0, cluster.client_yaml().rfind('/'));
  auto train = dmlp::testing::build_binary("dmlp") +
               " train --model cnn --strategy allreduce --workers 2 --epochs 1" +
               " --train-samples 2048 --test-samples 500 --placement any --seeds " +
               cluster.node("head").address;
  auto result =
      dmlp::testing::run_shell(train + " --config " + cluster.client_yaml() + " --json 2>&1");
  ASSERT_EQ(result.code, 0) << result.out << "; logs in " << cluster.dir();
  auto j = dmlp::testing::last_json_line(result.out);
  ASSERT_TRUE(j.is_object()) << result.out;
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["samples_trained"], 2048);
  EXPECT_EQ(trainers_started(cluster, "head") + trainers_started(cluster, "worker-1"), 2u);

  // Without the client's certificate the nodes refuse it: an error, no trainer placed.
  auto plain = dmlp::testing::run_shell(train + " 2>&1");
  EXPECT_NE(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find(cluster.node("head").address), std::string::npos) << plain.out;
  EXPECT_EQ(trainers_started(cluster, "head") + trainers_started(cluster, "worker-1"), 2u);
  // A config whose certificate files are missing is refused before anything starts.
  auto missing = certs + "/missing.yaml";
  std::ofstream{missing} << "tls:\n  enabled: true\n  ca: " << certs
                         << "/ca.pem\n  certificate: /nonexistent.pem\n  key: /nonexistent.key\n";
  auto refused = dmlp::testing::run_shell(train + " --config " + missing + " 2>&1");
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.out.find("nonexistent.pem"), std::string::npos) << refused.out;
}

TEST(training_node_chaos, unreachable_cluster_is_a_clear_error) {
  job_options o;
  o.train_samples = 256;
  o.test_samples = 100;
  o.seeds = {"127.0.0.1:1"};
  auto report = run_training(o);
  ASSERT_FALSE(report);
  EXPECT_NE(dmlp::describe(report.error()).find("127.0.0.1"), std::string::npos)
      << dmlp::describe(report.error());
  auto bad = o;
  bad.seeds = {"no-port"};
  auto refused = run_training(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(dmlp::describe(refused.error()).find("--seeds"), std::string::npos);
}
