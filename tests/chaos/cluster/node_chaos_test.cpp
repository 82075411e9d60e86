// Node-level chaos with real dmlp-node processes on 127.0.0.1: kill -9 of a worker, a frozen
// worker (SIGSTOP/SIGCONT), a restart on the same port, and the loss and restart of the head.
// Each test starts a head + 3 workers whose head supervises 3 squarers placed on workers (every
// node keeps the workload: a worker takes its supervisor over when the head is lost), and
// synchronises on status queries (bounded waits), never on fixed sleeps.
#include <gtest/gtest.h>

#include "tests/chaos/cluster/cluster_harness.hpp"

using namespace dmlp;
using namespace dmlp::testing;
using ms = std::chrono::milliseconds;

namespace {

const std::vector<std::string> workers{"worker-1", "worker-2", "worker-3"};

// A worker hosting at least one squarer.
std::string busy_worker(cluster_harness& h) {
  for (auto& [node, count] : h.hosts(workers))
    if (count > 0)
      return node;
  return "";
}

// Every squarer answers from a node in `allowed` and work completes after this call (the
// workload's driver found through node `via`).
bool workload_healthy(cluster_harness& h, const std::set<std::string>& allowed,
                      const std::string& via, uint32_t replicas = 3) {
  auto before = h.workload(via);
  if (!before)
    return false;
  auto& placements = std::get<2>(*before);
  if (placements.size() != replicas)
    return false;
  auto hosts = h.hosts(std::vector<std::string>(allowed.begin(), allowed.end()));
  size_t hosted = 0;
  for (auto& [node, count] : hosts)
    hosted += count;
  if (hosted != replicas)
    return false;
  for (const auto& p : placements)
    if (allowed.count(p.substr(p.find('@') + 1)) == 0)
      return false;
  return cluster_harness::wait_for(
      [&] {
        auto after = h.workload(via);
        return after && std::get<0>(*after) >= std::get<0>(*before) + replicas;
      },
      ms{3000});
}

// Whether the workload becomes (or stays) healthy on `allowed` within `limit`.
bool healthy_within(cluster_harness& h, const std::set<std::string>& allowed, ms limit,
                    const std::string& via = "head") {
  return cluster_harness::wait_for([&] { return workload_healthy(h, allowed, via); }, limit);
}

// The node hosting the workload's supervisor as `observer` sees it ("" when none).
std::string workload_host(cluster_harness& h, const std::string& observer) {
  if (auto st = h.status(observer))
    for (const auto& n : st->names)
      if (n.name == "workload")
        return n.node;
  return "";
}

const std::set<std::string> all_workers{workers.begin(), workers.end()};

// Starts a head + 3 workers and waits until the head's 3 squarers answer from the workers.
::testing::AssertionResult start_with_healthy_workload(cluster_harness& h) {
  h.start();
  if (::testing::Test::HasFatalFailure())
    return ::testing::AssertionFailure() << "the cluster did not start";
  if (!healthy_within(h, all_workers, ms{15000}))
    return ::testing::AssertionFailure() << "the workload is not healthy; logs in " << h.dir();
  return ::testing::AssertionSuccess();
}

// How often node `name`'s log (all its incarnations) contains `text`.
size_t log_count(cluster_harness& h, const std::string& name, const std::string& text) {
  std::ifstream in{h.dir() + "/" + name + ".log"};
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.find(text) != std::string::npos ? 1 : 0;
  return n;
}

// Whether `observer` sees `name` down within `limit`.
bool down_within(cluster_harness& h, const std::string& observer, const std::string& name,
                 ms limit) {
  return cluster_harness::wait_for(
      [&] { return h.member(observer, name).state == member_state::down; }, limit);
}

// Whether `observer` sees `name` up as an incarnation other than `old_epoch` within `limit`.
bool rejoined_anew(cluster_harness& h, const std::string& observer, const std::string& name,
                   uint64_t old_epoch, ms limit) {
  return cluster_harness::wait_for(
      [&] {
        auto m = h.member(observer, name);
        return m.state == member_state::up && m.epoch != old_epoch;
      },
      limit);
}

std::set<std::string> others(const std::string& except) {
  std::set<std::string> s;
  for (auto& w : workers)
    if (w != except)
      s.insert(w);
  return s;
}

} // namespace

TEST(node_chaos, kill9_worker_is_marked_down_and_its_children_move) {
  cluster_harness h{4, 3, 0};
  ASSERT_TRUE(start_with_healthy_workload(h));
  auto victim = busy_worker(h);
  ASSERT_FALSE(victim.empty());
  auto epoch = h.member("head", victim).epoch;
  h.signal(victim, SIGKILL);
  auto limit = h.options().down_after + ms{2000};
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        auto m = h.member("head", victim);
        return m.epoch == epoch && m.state == member_state::down;
      },
      limit))
      << victim << " not marked down within " << limit.count() << " ms";
  for (auto& w : others(victim))
    EXPECT_TRUE(down_within(h, w, victim, limit)) << "as seen by " << w;
  EXPECT_TRUE(healthy_within(h, others(victim), ms{15000}))
      << "squarers not restarted on the surviving workers";
}

TEST(node_chaos, frozen_worker_is_detected_and_rejoins_as_a_new_incarnation) {
  cluster_harness h{4, 3, 1};
  ASSERT_TRUE(start_with_healthy_workload(h));
  auto victim = busy_worker(h);
  ASSERT_FALSE(victim.empty());
  auto epoch = h.member("head", victim).epoch;
  h.signal(victim, SIGSTOP);
  EXPECT_TRUE(down_within(h, "head", victim, h.options().down_after + ms{3000}))
      << "frozen " << victim << " not detected";
  EXPECT_TRUE(healthy_within(h, others(victim), ms{15000}));
  h.signal(victim, SIGCONT);
  // The old incarnation is told it is down: it drops what it hosted and rejoins with a new epoch.
  EXPECT_TRUE(rejoined_anew(h, "head", victim, epoch, ms{10000}))
      << victim << " did not rejoin as a new incarnation";
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 4; }, ms{5000}));
  EXPECT_TRUE(h.log_contains(victim, "rejoining as incarnation"));
  // Nothing doubled: still exactly 3 squarers, all answering.
  EXPECT_TRUE(healthy_within(h, all_workers, ms{10000}));
}

TEST(node_chaos, restarted_worker_rejoins_on_the_same_port_and_takes_new_work) {
  cluster_harness h{4, 3, 2};
  ASSERT_TRUE(start_with_healthy_workload(h));
  auto victim = busy_worker(h);
  auto epoch = h.member("head", victim).epoch;
  h.relaunch(victim);
  EXPECT_TRUE(rejoined_anew(h, "head", victim, epoch, ms{10000}));
  ASSERT_TRUE(healthy_within(h, others(victim), ms{15000}));
  // Kill one squarer elsewhere: placement prefers the least loaded node, the new incarnation.
  auto hosts = h.hosts(workers);
  std::string loaded;
  for (auto& [node, count] : hosts)
    if (count > 0 && node != victim)
      loaded = node;
  ASSERT_FALSE(loaded.empty());
  auto st = h.status(loaded);
  ASSERT_TRUE(st);
  ASSERT_FALSE(st->hosted.empty());
  caf::anon_send_exit(st->hosted.front().handle, caf::exit_reason::kill);
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.hosts({victim})[victim] > 0; }, ms{10000}))
      << "the restarted " << victim << " took no new work";
}

TEST(node_chaos, head_loss_moves_the_workload_to_a_worker_and_a_restarted_head_rejoins) {
  cluster_harness h{4, 3, 3};
  ASSERT_TRUE(start_with_healthy_workload(h));
  ASSERT_EQ(workload_host(h, "worker-1"), "head");
  auto epoch = h.member("worker-1", "head").epoch;
  h.signal("head", SIGKILL);
  EXPECT_TRUE(down_within(h, "worker-1", "head", ms{5000}));
  // The workers keep their membership (no single point): all three still up for each other.
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("worker-2") == 3; }, ms{5000}));
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] { return h.member("worker-3", "worker-1").state == member_state::up; }, ms{5000}));
  // The workload's supervisor moves to the first worker, which restarts the squarers (their
  // hosts stopped the orphans of the lost supervisor).
  EXPECT_TRUE(cluster_harness::wait_for([&] { return workload_host(h, "worker-2") == "worker-1"; },
                                        ms{10000}))
      << "no worker took the workload over; logs in " << h.dir();
  EXPECT_TRUE(healthy_within(h, all_workers, ms{15000}, "worker-2"))
      << "the workload does not run while the head is down";
  h.relaunch("head");
  EXPECT_TRUE(rejoined_anew(h, "worker-1", "head", epoch, ms{10000}));
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 4; }, ms{10000}));
  EXPECT_TRUE(healthy_within(h, all_workers, ms{15000}));
  // The restarted head stands by: the workload stays where it is, exactly once.
  EXPECT_EQ(workload_host(h, "head"), "worker-1");
  EXPECT_EQ(log_count(h, "head", "starting it here"), 1u) << "only the first head hosted it";
}
