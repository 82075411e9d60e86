// Two real training jobs competing through `dmlp jobs submit` on a 3-node cluster of dmlp-node
// processes whose head hosts the scheduler: a low-priority job takes both workers and starts
// training (its trainers run on the two granted workers); a high-priority job that needs the
// same workers is submitted while it trains; the
// low job stops at a step boundary, checkpoints and is requeued (preemptions 1), the high job
// runs and finishes, and the low job resumes from its checkpoint and finishes, each having
// trained every sample of every epoch exactly once. The test synchronises on the low job's
// progress line ("training (step N)") and on process exits, never on fixed sleeps. A second
// test runs the CLI against a TLS cluster.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/chaos/cluster/cluster_harness.hpp"
#include "tests/support/shell.hpp"

using namespace dmlp;
using namespace dmlp::testing;
using ms = std::chrono::milliseconds;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// A job file of 2 trainers, one on each worker (each takes a whole worker's cpus).
std::string job_yaml(const std::string& id, int priority, double cpus, uint64_t samples) {
  std::ostringstream y;
  y << "id: " << id << "\npriority: " << priority << "\nroles:\n  - {role: trainer, cpus: " << cpus
    << ", memory_mb: 256, min: 2, max: 2, selector: [role=worker]}\n"
    << "training:\n  model: cnn\n  epochs: 2\n  batch_size: 64\n  train_samples: " << samples
    << "\n  test_samples: 500\n";
  return y.str();
}

// Whether the head hosts the scheduler within 15 s.
bool scheduler_up(cluster_harness& h) {
  return cluster_harness::wait_for(
      [&] {
        auto agent = h.agent_of("head");
        return agent && h.client().resolve(*agent, "scheduler");
      },
      ms{15000});
}

} // namespace

TEST(scheduler_training, a_high_priority_training_job_preempts_a_running_one) {
  cluster_harness h{3, 0, 9};
  h.start();
  ASSERT_TRUE(scheduler_up(h));
  double cpus = h.member("head", "worker-1").cpus;
  ASSERT_GT(cpus, 0);
  auto dir = h.dir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream{dir + "/" + name} << text;
    return dir + "/" + name;
  };
  // The low job is the longer one, so that it is still training when the high one arrives.
  auto low_file = write("low.yaml", job_yaml("low", 0, cpus, 6144));
  auto high_file = write("high.yaml", job_yaml("high", 10, cpus, 2048));
  auto seeds = h.node("head").address;
  auto submit = [&](const std::string& file, const std::string& log) {
    return build_binary("dmlp") + " jobs submit " + file + " --seeds " + seeds + " --json 2>" +
           dir + "/" + log;
  };

  shell_result low;
  std::thread low_run{[&] { low = run_shell(submit(low_file, "low.err"), false); }};
  bool training = cluster_harness::wait_for(
      [&] {
        return read_text(dir + "/low.err").find("job low training (step") != std::string::npos;
      },
      ms{60000});
  shell_result high;
  if (training)
    high = run_shell(submit(high_file, "high.err"), false);
  low_run.join();
  ASSERT_TRUE(training) << read_text(dir + "/low.err");

  auto low_log = read_text(dir + "/low.err");
  EXPECT_EQ(high.code, 0) << high.out << read_text(dir + "/high.err");
  auto high_json = last_json_line(high.out);
  ASSERT_TRUE(high_json.is_object()) << high.out;
  EXPECT_EQ(high_json["state"], "finished");
  EXPECT_EQ(high_json["preemptions"], 0);
  EXPECT_EQ(high_json["samples_trained"], 2 * 2048);

  EXPECT_EQ(low.code, 0) << low.out << low_log;
  auto low_json = last_json_line(low.out);
  ASSERT_TRUE(low_json.is_object()) << low.out << low_log;
  EXPECT_EQ(low_json["state"], "finished");
  EXPECT_EQ(low_json["preemptions"], 1) << low_log;
  EXPECT_EQ(low_json["epochs"], 2);
  EXPECT_EQ(low_json["epoch_samples"], 6144);
  EXPECT_EQ(low_json["samples_trained"], 2 * 6144);
  EXPECT_GT(low_json["test_accuracy"].get<double>(), 0.5);
  // Stopped while training, granted again and resumed from its checkpoint.
  EXPECT_EQ(count_of(low_log, "preempted: checkpointed at step"), 1u) << low_log;
  EXPECT_EQ(count_of(low_log, "job low granted"), 2u) << low_log;
  // The trainers ran on the granted workers: the low job's pair twice (before and after its
  // preemption) and the high job's pair once; none on the head.
  EXPECT_EQ(h.role_starts("worker-1", "trainer") + h.role_starts("worker-2", "trainer"), 6u);
  EXPECT_EQ(h.role_starts("head", "trainer"), 0u);
}

// `dmlp jobs` on a TLS cluster: with --config (the client's tls: section) it submits an
// owner-run training job whose trainers connect over TLS too, lists it and reaches the
// scheduler for a cancel; without --config the client cannot reach the cluster.
TEST(scheduler_training, jobs_with_config_talk_to_a_tls_cluster) {
  auto cluster = cluster_harness::start_tls(2, 8);
  auto& h = *cluster;
  ASSERT_TRUE(scheduler_up(h));
  double cpus = h.member("head", "worker-1").cpus;
  ASSERT_GT(cpus, 0);
  auto file = h.dir() + "/tls.yaml";
  std::ofstream{file} << job_yaml("tls", 0, cpus / 2, 1024);
  auto jobs = build_binary("dmlp") + " jobs ";
  auto seeds = " --seeds " + h.node("head").address;
  auto config = " --config " + h.client_yaml();

  auto submitted = run_shell(
      jobs + "submit " + file + seeds + config + " --json 2>" + h.dir() + "/tls.err", false);
  ASSERT_EQ(submitted.code, 0) << submitted.out << read_text(h.dir() + "/tls.err");
  auto result = last_json_line(submitted.out);
  ASSERT_TRUE(result.is_object()) << submitted.out;
  EXPECT_EQ(result["state"], "finished");
  EXPECT_EQ(result["samples_trained"], 2 * 1024);
  EXPECT_EQ(h.role_starts("worker-1", "trainer"), 2u);
  EXPECT_EQ(h.role_starts("head", "trainer"), 0u);

  auto listed = run_shell(jobs + "list" + seeds + config + " --json", false);
  ASSERT_EQ(listed.code, 0) << listed.out;
  auto list = last_json_line(listed.out);
  ASSERT_TRUE(list.is_object()) << listed.out;
  ASSERT_EQ(list["jobs"].size(), 1u) << listed.out;
  EXPECT_EQ(list["jobs"][0]["id"], "tls");
  EXPECT_EQ(list["jobs"][0]["state"], "finished");

  auto cancelled = run_shell(jobs + "cancel nope" + seeds + config);
  EXPECT_EQ(cancelled.code, 1);
  EXPECT_NE(cancelled.out.find("no job nope"), std::string::npos) << cancelled.out;

  auto plaintext = run_shell(jobs + "list" + seeds);
  EXPECT_EQ(plaintext.code, 1);
  EXPECT_NE(plaintext.out.find("no node reachable"), std::string::npos) << plaintext.out;
  auto without_seeds = run_shell(jobs + "submit " + file + config);
  EXPECT_EQ(without_seeds.code, 1);
  EXPECT_NE(without_seeds.out.find("needs --seeds"), std::string::npos) << without_seeds.out;
  auto missing = run_shell(jobs + "list" + seeds + " --config " + h.dir() + "/absent.yaml");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("absent.yaml"), std::string::npos) << missing.out;
}
