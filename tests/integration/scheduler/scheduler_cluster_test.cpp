// The scheduler hosted by the head of a 3-node cluster of real dmlp-node processes, driven by
// owners in the test process over the network: a high-priority job makes the owner of a
// low-priority one stop, runs, and the low one runs again afterwards; a killed scheduler is
// restarted by the head's supervisor from its file snapshot with the same jobs; the instance
// of a job on a worker that is killed -9 is placed on the other worker. Waits are bounded polls
// of the owners' records and of the scheduler (never fixed sleeps).
#include <mutex>

#include <gtest/gtest.h>

#include "actors/scheduler/scheduler_actor.hpp"
#include "messages/scheduler.hpp"
#include "tests/chaos/cluster/cluster_harness.hpp"

using namespace dmlp;
using namespace dmlp::scheduler;
using namespace dmlp::testing;
using ms = std::chrono::milliseconds;

namespace {

// What one owner saw; written by its actor, read by the test thread.
struct owner_record {
  std::mutex mtx;
  std::vector<job_grant> grants;
  std::vector<std::string> preempts;

  size_t grant_count() {
    std::lock_guard<std::mutex> guard{mtx};
    return grants.size();
  }
  job_grant last_grant() {
    std::lock_guard<std::mutex> guard{mtx};
    return grants.back();
  }
  std::vector<std::string> preempted() {
    std::lock_guard<std::mutex> guard{mtx};
    return preempts;
  }
};

// An owner that records grants and confirms every preemption at once.
caf::behavior owner(caf::event_based_actor*, std::shared_ptr<owner_record> rec) {
  return {
      [rec](job_grant& grant) {
        std::lock_guard<std::mutex> guard{rec->mtx};
        rec->grants.push_back(std::move(grant));
      },
      [rec](sched_preempt_atom, const std::string& id) {
        std::lock_guard<std::mutex> guard{rec->mtx};
        rec->preempts.push_back(id);
        return id;
      },
      [](sched_cancel_atom, const std::string&) {},
  };
}

job_spec worker_job(const std::string& id, int priority, double cpus, uint32_t instances) {
  return job_spec{
      id,
      "u",
      "g",
      priority,
      {role_request{"trainer", resources{cpus, 0, 0}, {{"role", "worker"}}, instances, instances}}};
}

class scheduler_cluster : public ::testing::Test {
protected:
  cluster_harness h{3, 0, 8};

  void SetUp() override { h.start(); }

  caf::expected<caf::actor> scheduler_now() {
    auto agent = h.agent_of("head");
    if (!agent)
      return agent.error();
    return h.client().resolve(*agent, scheduler_registry_name);
  }

  caf::actor wait_for_scheduler(const caf::actor& not_this = {}) {
    caf::actor found;
    EXPECT_TRUE(cluster_harness::wait_for(
        [&] {
          auto s = scheduler_now();
          if (s && *s != not_this)
            found = *s;
          return static_cast<bool>(found);
        },
        ms{15000}));
    return found;
  }

  std::vector<caf::actor> owners;

  // Owners live in the harness's actor system, which waits for them when it goes.
  void TearDown() override {
    for (auto& o : owners)
      caf::anon_send_exit(o, caf::exit_reason::kill);
  }

  std::pair<caf::actor, std::shared_ptr<owner_record>> make_owner() {
    auto rec = std::make_shared<owner_record>();
    owners.push_back(h.system().spawn(owner, rec));
    return {owners.back(), rec};
  }

  std::string submit(const caf::actor& sched, job_spec spec, const caf::actor& by) {
    caf::scoped_actor self{h.system()};
    std::string id;
    self->request(sched, ms{5000}, sched_submit_atom::value, job_submission{spec, by, ""})
        .receive([&](std::string& assigned) { id = assigned; },
                 [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return id;
  }

  // Submits `spec` with a new owner and waits for its first grant; null when none came.
  std::shared_ptr<owner_record> granted(const caf::actor& sched, job_spec spec) {
    auto [handle, rec] = make_owner();
    submit(sched, std::move(spec), handle);
    auto ok =
        cluster_harness::wait_for([&, rec = rec] { return rec->grant_count() == 1; }, ms{10000});
    return ok ? rec : nullptr;
  }

  std::vector<job_status> list(const caf::actor& sched) {
    caf::scoped_actor self{h.system()};
    std::vector<job_status> jobs;
    self->request(sched, ms{5000}, sched_list_atom::value)
        .receive([&](std::vector<job_status>& answer) { jobs = std::move(answer); },
                 [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return jobs;
  }

  job_status status_of(const caf::actor& sched, const std::string& id) {
    for (auto& s : list(sched))
      if (s.spec.id == id)
        return s;
    return {};
  }

  void finish(const caf::actor& sched, const std::string& id) {
    caf::scoped_actor self{h.system()};
    self->request(sched, ms{5000}, sched_finish_atom::value, id)
        .receive([](job_status&) {}, [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
  }
};

TEST_F(scheduler_cluster, a_high_priority_job_preempts_and_the_low_one_runs_later) {
  auto sched = wait_for_scheduler();
  ASSERT_TRUE(sched);
  double cpus = h.member("head", "worker-1").cpus;
  ASSERT_GT(cpus, 0);
  auto low_pair = make_owner();
  auto high_pair = make_owner();
  auto low_owner = low_pair.first, high_owner = high_pair.first;
  auto low = low_pair.second, high = high_pair.second;
  submit(sched, worker_job("low", 0, cpus, 2), low_owner);
  ASSERT_TRUE(cluster_harness::wait_for([&] { return low->grant_count() == 1; }, ms{10000}));
  std::set<std::string> nodes;
  for (const auto& p : low->last_grant().placements)
    nodes.insert(p.node);
  EXPECT_EQ(nodes, (std::set<std::string>{"worker-1", "worker-2"}));

  submit(sched, worker_job("high", 10, cpus, 2), high_owner);
  ASSERT_TRUE(cluster_harness::wait_for([&] { return high->grant_count() == 1; }, ms{10000}));
  EXPECT_EQ(low->preempted(), std::vector<std::string>{"low"});
  auto requeued = status_of(sched, "low");
  EXPECT_EQ(requeued.state, job_state::pending);
  EXPECT_EQ(requeued.preemptions, 1u);
  EXPECT_NE(requeued.reason.find("on label role=worker"), std::string::npos) << requeued.reason;

  finish(sched, "high");
  ASSERT_TRUE(cluster_harness::wait_for([&] { return low->grant_count() == 2; }, ms{10000}))
      << "the preempted job runs again";
  finish(sched, "low");
  EXPECT_EQ(status_of(sched, "low").state, job_state::finished);
  EXPECT_EQ(status_of(sched, "high").state, job_state::finished);
}

TEST_F(scheduler_cluster, a_killed_scheduler_comes_back_with_its_jobs) {
  auto sched = wait_for_scheduler();
  ASSERT_TRUE(sched);
  auto rec = granted(sched, worker_job("kept", 0, 1, 1));
  ASSERT_TRUE(rec);
  auto before = status_of(sched, "kept");
  caf::anon_send_exit(sched, caf::exit_reason::kill);
  auto again = wait_for_scheduler(sched);
  ASSERT_TRUE(again);
  auto after = status_of(again, "kept");
  EXPECT_EQ(after.state, job_state::running);
  ASSERT_EQ(after.placements.size(), 1u);
  EXPECT_EQ(after.placements[0].node, before.placements[0].node);
  EXPECT_EQ(rec->grant_count(), 1u) << "a restored running job is not granted again";
  finish(again, "kept");
  EXPECT_EQ(status_of(again, "kept").state, job_state::finished);
}

TEST_F(scheduler_cluster, instances_on_a_killed_worker_are_placed_on_another) {
  auto sched = wait_for_scheduler();
  ASSERT_TRUE(sched);
  auto rec = granted(sched, worker_job("moving", 0, 1, 1));
  ASSERT_TRUE(rec);
  auto first = rec->last_grant().placements.at(0).node;
  h.signal(first, SIGKILL);
  ASSERT_TRUE(cluster_harness::wait_for([&] { return rec->grant_count() == 2; }, ms{15000}));
  auto moved = rec->last_grant().placements;
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_NE(moved[0].node, first);
  EXPECT_EQ(moved[0].node.rfind("worker-", 0), 0u);
  EXPECT_TRUE(rec->preempted().empty()) << "re-placed, not paused";
}

} // namespace
