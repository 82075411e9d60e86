// Node-level chaos with real dmlp-node processes on 127.0.0.1: kill -9 of a worker, a frozen
// worker (SIGSTOP/SIGCONT), a restart on the same port, and the loss and restart of the head.
// Each test starts a head + 3 workers whose head supervises 3 squarers placed on workers, and
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

// Every squarer answers from a node in `allowed` and work completes after this call.
bool workload_healthy(cluster_harness& h, const std::set<std::string>& allowed,
                      uint32_t replicas = 3) {
  auto before = h.workload();
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
        auto after = h.workload();
        return after && std::get<0>(*after) >= std::get<0>(*before) + replicas;
      },
      ms{3000});
}

size_t hosted_total(cluster_harness& h) {
  size_t n = 0;
  for (auto& [node, count] : h.hosts(workers))
    n += count;
  return n;
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
  h.start();
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{15000}));
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
    EXPECT_TRUE(cluster_harness::wait_for(
        [&] { return h.member(w, victim).state == member_state::down; }, limit))
        << "as seen by " << w;
  EXPECT_TRUE(
      cluster_harness::wait_for([&] { return workload_healthy(h, others(victim)); }, ms{15000}))
      << "squarers not restarted on the surviving workers";
}

TEST(node_chaos, frozen_worker_is_detected_and_rejoins_as_a_new_incarnation) {
  cluster_harness h{4, 3, 1};
  h.start();
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{15000}));
  auto victim = busy_worker(h);
  ASSERT_FALSE(victim.empty());
  auto epoch = h.member("head", victim).epoch;
  h.signal(victim, SIGSTOP);
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] { return h.member("head", victim).state == member_state::down; },
      h.options().down_after + ms{3000}))
      << "frozen " << victim << " not detected";
  EXPECT_TRUE(
      cluster_harness::wait_for([&] { return workload_healthy(h, others(victim)); }, ms{15000}));
  h.signal(victim, SIGCONT);
  // The old incarnation is told it is down: it drops what it hosted and rejoins with a new epoch.
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        auto m = h.member("head", victim);
        return m.state == member_state::up && m.epoch != epoch;
      },
      ms{10000}))
      << victim << " did not rejoin as a new incarnation";
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 4; }, ms{5000}));
  EXPECT_TRUE(h.log_contains(victim, "rejoining as incarnation"));
  // Nothing doubled: still exactly 3 squarers, all answering.
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{10000}));
}

TEST(node_chaos, restarted_worker_rejoins_on_the_same_port_and_takes_new_work) {
  cluster_harness h{4, 3, 2};
  h.start();
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{15000}));
  auto victim = busy_worker(h);
  auto epoch = h.member("head", victim).epoch;
  h.relaunch(victim);
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        auto m = h.member("head", victim);
        return m.state == member_state::up && m.epoch != epoch;
      },
      ms{10000}));
  ASSERT_TRUE(
      cluster_harness::wait_for([&] { return workload_healthy(h, others(victim)); }, ms{15000}));
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

TEST(node_chaos, head_loss_leaves_workers_running_and_a_restarted_head_rejoins) {
  cluster_harness h{4, 3, 3};
  h.start();
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{15000}));
  auto epoch = h.member("worker-1", "head").epoch;
  h.signal("head", SIGKILL);
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] { return h.member("worker-1", "head").state == member_state::down; }, ms{5000}));
  // The workers keep their membership (no single point): all three still up for each other.
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("worker-2") == 3; }, ms{5000}));
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] { return h.member("worker-3", "worker-1").state == member_state::up; }, ms{5000}));
  // Orphaned squarers (their supervisor died with the head) are stopped.
  EXPECT_TRUE(cluster_harness::wait_for([&] { return hosted_total(h) == 0; }, ms{5000}));
  h.relaunch("head");
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        auto m = h.member("worker-1", "head");
        return m.state == member_state::up && m.epoch != epoch;
      },
      ms{10000}));
  EXPECT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 4; }, ms{10000}));
  EXPECT_TRUE(cluster_harness::wait_for(
      [&] {
        return workload_healthy(h, {workers.begin(), workers.end()});
      },
      ms{15000}));
}
