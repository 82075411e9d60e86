// The scheduling policy without actors: the book's examples as exact assertions, gang,
// preemption, backfill and reservation cases, and randomized properties over job mixes run
// through a small simulator (no over-allocation, gangs whole, no deadlock, every feasible job
// eventually runs, preemption only where shrinking could not make room).
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "actors/scheduler/fair_share.hpp"
#include "actors/scheduler/scheduling_policy.hpp"

using namespace dmlp::scheduler;

namespace {

node_state node(const std::string& name, double cpus,
                std::map<std::string, std::string> labels = {}) {
  return node_state{name, std::move(labels), resources{cpus, 1024.0 * cpus, 0}, true};
}

job_spec job(const std::string& id, int priority, double cpus_each, uint32_t min, uint32_t max = 0,
             const std::string& user = "u", const std::string& group = "g") {
  role_request role{"trainer", resources{cpus_each, 0, 0}, {}, min, max == 0 ? min : max};
  return job_spec{id, user, group, priority, {role}};
}

// Applies decisions the way the scheduler actor does and tracks what ran.
struct simulator {
  scheduling_policy policy;
  std::vector<node_state> nodes;
  std::vector<running_job> running;
  std::vector<pending_job> pending;
  int64_t now = 0;
  uint64_t sequence = 0;
  std::vector<std::string> start_log;
  std::vector<std::string> preempt_log;

  void submit(job_spec spec) { pending.push_back(pending_job{std::move(spec), now, sequence++}); }

  schedule_decision step() {
    auto decision = policy.decide(schedule_input{nodes, running, pending, now});
    for (const auto& stop : decision.stop)
      for (auto& r : running)
        if (r.spec.id == stop.job)
          r.instances.erase(std::remove_if(r.instances.begin(), r.instances.end(),
                                           [&](const placement& p) {
                                             return p.role == stop.role && p.index == stop.index;
                                           }),
                            r.instances.end());
    for (const auto& id : decision.preempt) {
      preempt_log.push_back(id);
      for (auto i = running.begin(); i != running.end(); ++i)
        if (i->spec.id == id) {
          pending.push_back(pending_job{i->spec, now, sequence++});
          running.erase(i);
          break;
        }
    }
    for (const auto& p : decision.start) {
      auto r = std::find_if(running.begin(), running.end(),
                            [&](const running_job& x) { return x.spec.id == p.job; });
      if (r == running.end()) {
        auto q = std::find_if(pending.begin(), pending.end(),
                              [&](const pending_job& x) { return x.spec.id == p.job; });
        running.push_back(running_job{q->spec, {}, now});
        pending.erase(q);
        start_log.push_back(p.job);
        r = running.end() - 1;
      }
      r->instances.push_back(p);
    }
    return decision;
  }

  void finish(const std::string& id) {
    running.erase(std::remove_if(running.begin(), running.end(),
                                 [&](const running_job& r) { return r.spec.id == id; }),
                  running.end());
  }

  bool runs(const std::string& id) const {
    return std::any_of(running.begin(), running.end(),
                       [&](const running_job& r) { return r.spec.id == id; });
  }
};

} // namespace

TEST(fair_share, the_books_numbers) {
  demand_map four{{"g", {{"u1", 1}, {"u2", 1}, {"u3", 1}, {"u4", 1}}}};
  for (auto& [key, share] : per_process_shares(four))
    EXPECT_DOUBLE_EQ(share, 0.25);
  four["g"]["u1"] = 2;
  EXPECT_DOUBLE_EQ((per_process_shares(four)[{"g", "u1"}]), 0.125) << "a user with 2 processes";
  demand_map five{{"g", {{"u1", 1}, {"u2", 1}, {"u3", 1}, {"u4", 1}, {"u5", 1}}}};
  for (auto& [key, share] : per_process_shares(five))
    EXPECT_DOUBLE_EQ(share, 0.2);
  demand_map groups{{"a", {{"a1", 1}, {"a2", 1}, {"a3", 1}}},
                    {"b", {{"b1", 1}, {"b2", 1}}},
                    {"c", {{"c1", 1}, {"c2", 1}, {"c3", 1}, {"c4", 1}}}};
  auto shares = per_process_shares(groups);
  EXPECT_NEAR((shares[{"a", "a1"}]), 0.111, 0.001);
  EXPECT_NEAR((shares[{"b", "b1"}]), 0.1667, 0.0001);
  EXPECT_NEAR((shares[{"c", "c1"}]), 0.0833, 0.0001);
  double group_a = 0;
  for (auto& [key, share] : shares)
    if (key.first == "a")
      group_a += share;
  EXPECT_NEAR(group_a, 1.0 / 3, 1e-12);
}

TEST(fair_share, drf_orders_by_dominant_share) {
  resources total{10, 1000, 0};
  usage held;
  held.users["cpu_heavy"] = resources{6, 100, 0};
  held.users["mem_heavy"] = resources{1, 700, 0};
  held.groups["g"] = resources{7, 800, 0};
  pending_job a{job("a", 0, 1, 1, 1, "cpu_heavy"), 0, 0};
  pending_job b{job("b", 0, 1, 1, 1, "mem_heavy"), 0, 1};
  pending_job c{job("c", 0, 1, 1, 1, "fresh"), 0, 2};
  EXPECT_TRUE(drf_before(c, b, held, total));
  EXPECT_TRUE(drf_before(a, b, held, total)) << "dominant shares: cpu 0.6 < memory 0.7";
  EXPECT_FALSE(drf_before(b, a, held, total));
}

TEST(scheduling, the_books_priority_example) {
  // One job fits at a time. B (low) runs; A and C (high) and D (medium) arrive.
  simulator sim;
  sim.nodes = {node("n1", 4)};
  sim.submit(job("B", 1, 4, 1));
  sim.step();
  ASSERT_TRUE(sim.runs("B"));
  sim.submit(job("A", 3, 4, 1));
  sim.submit(job("C", 3, 4, 1));
  sim.submit(job("D", 2, 4, 1));
  sim.step();
  EXPECT_EQ(sim.preempt_log, std::vector<std::string>{"B"}) << "B is preempted when A arrives";
  EXPECT_TRUE(sim.runs("A"));
  for (auto id : {"A", "C", "D"}) {
    sim.finish(id);
    sim.step();
  }
  EXPECT_EQ(sim.start_log, (std::vector<std::string>{"B", "A", "C", "D", "B"}));
  EXPECT_TRUE(sim.runs("B")) << "the preempted job was requeued, not lost";
}

TEST(scheduling, gangs_are_all_or_nothing_and_nothing_is_held) {
  simulator sim;
  sim.nodes = {node("n1", 2), node("n2", 2)};
  sim.submit(job("big1", 0, 1, 3));
  sim.submit(job("big2", 0, 1, 3));
  auto d = sim.step();
  EXPECT_TRUE(sim.runs("big1"));
  EXPECT_FALSE(sim.runs("big2"));
  EXPECT_NE(d.pending_reasons["big2"].find("waiting for 1 cpu on any node (1 of 3"),
            std::string::npos)
      << d.pending_reasons["big2"];
  size_t placed = 0;
  for (auto& r : sim.running)
    placed += r.instances.size();
  EXPECT_EQ(placed, 3u) << "big2 holds nothing while it waits";
  sim.finish("big1");
  sim.step();
  EXPECT_TRUE(sim.runs("big2"));
}

TEST(scheduling, elastic_jobs_shrink_before_anything_is_preempted) {
  simulator sim;
  sim.nodes = {node("n1", 4)};
  sim.submit(job("elastic", 0, 1, 1, 4));
  sim.step();
  ASSERT_EQ(sim.running.front().instances.size(), 4u) << "grows into the free capacity";
  sim.submit(job("urgent", 5, 1, 2));
  auto d = sim.step();
  EXPECT_TRUE(d.preempt.empty());
  EXPECT_EQ(d.stop.size(), 2u);
  EXPECT_TRUE(sim.runs("urgent"));
  EXPECT_TRUE(sim.runs("elastic"));
  sim.submit(job("more_urgent", 6, 1, 3));
  d = sim.step();
  EXPECT_EQ(d.stop.size(), 1u) << "elastic shrinks to its minimum first";
  EXPECT_EQ(d.preempt, std::vector<std::string>{"urgent"})
      << "preempting elastic as well would not be needed";
  EXPECT_TRUE(sim.runs("elastic"));
  EXPECT_TRUE(sim.runs("more_urgent"));
}

TEST(scheduling, no_preemption_that_would_not_make_room) {
  simulator sim;
  sim.nodes = {node("n1", 2)};
  sim.submit(job("low", 0, 2, 1));
  sim.step();
  sim.submit(job("too_big", 9, 3, 1));
  auto d = sim.step();
  EXPECT_TRUE(d.preempt.empty());
  EXPECT_TRUE(sim.runs("low"));
  EXPECT_NE(d.pending_reasons["too_big"].find("infeasible"), std::string::npos);
}

TEST(scheduling, label_selectors_and_reasons_name_the_label) {
  simulator sim;
  sim.nodes = {node("cpu1", 8), node("t1", 2, {{"role", "trainer"}})};
  auto j = job("train", 0, 1, 2);
  j.roles[0].selector = {{"role", "trainer"}};
  sim.submit(job("filler", 0, 2, 1));
  sim.step();
  sim.submit(j);
  auto d = sim.step();
  EXPECT_FALSE(sim.runs("train"));
  EXPECT_NE(d.pending_reasons["train"].find("waiting for 1 cpu on label role=trainer"),
            std::string::npos)
      << d.pending_reasons["train"];
}

TEST(scheduling, backfill_runs_small_jobs_until_the_head_reserves) {
  simulator sim;
  sim.policy = scheduling_policy{scheduling_options{1'000'000, 100}};
  sim.nodes = {node("n1", 4), node("n2", 4)};
  sim.submit(job("long_a", 0, 3, 1));
  sim.submit(job("long_b", 0, 3, 1));
  sim.step();
  sim.submit(job("gang", 0, 4, 2));
  sim.submit(job("small1", 0, 1, 1));
  auto d = sim.step();
  EXPECT_TRUE(sim.runs("small1")) << "backfill before the reservation";
  EXPECT_TRUE(d.reserved_for.empty());
  sim.now = 200;
  sim.submit(job("small2", 0, 1, 1));
  d = sim.step();
  EXPECT_EQ(d.reserved_for, "gang");
  EXPECT_FALSE(sim.runs("small2")) << "the reservation keeps the gang's nodes";
  sim.finish("long_a");
  sim.finish("long_b");
  sim.finish("small1");
  sim.step();
  EXPECT_TRUE(sim.runs("gang"));
}

TEST(scheduling, aging_lifts_a_waiting_job_over_newer_higher_ones) {
  scheduling_policy policy{scheduling_options{1000, 1'000'000}};
  pending_job old_low{job("old", 0, 1, 1), 0, 0};
  EXPECT_EQ(policy.effective_priority(old_low, 2500), 2);
}

TEST(scheduling, randomized_job_mixes_keep_every_invariant) {
  std::mt19937_64 rng{2026};
  for (int trial = 0; trial < 80; ++trial) {
    simulator sim;
    sim.policy = scheduling_policy{scheduling_options{50, 200}};
    auto node_count = 2 + static_cast<int>(rng() % 5);
    for (int n = 0; n < node_count; ++n)
      sim.nodes.push_back(node("n" + std::to_string(n), 2 + static_cast<double>(rng() % 4)));
    std::vector<job_spec> feasible_jobs;
    for (int j = 0; j < 25; ++j) {
      auto min = 1 + static_cast<uint32_t>(rng() % 3);
      auto spec =
          job("j" + std::to_string(j), static_cast<int>(rng() % 3),
              1 + static_cast<double>(rng() % 3), min, min + static_cast<uint32_t>(rng() % 3),
              "u" + std::to_string(rng() % 4), "g" + std::to_string(rng() % 2));
      sim.submit(spec);
      auto d =
          scheduling_policy{}.decide(schedule_input{sim.nodes, {}, {pending_job{spec, 0, 0}}, 0});
      if (d.pending_reasons.count(spec.id) == 0)
        feasible_jobs.push_back(spec);
    }
    std::map<std::string, int> age;
    for (int step = 0; step < 600 && (!sim.pending.empty() || !sim.running.empty()); ++step) {
      sim.now += 10;
      bool idle_before = sim.running.empty();
      auto d = sim.step();
      // No over-allocation.
      std::map<std::string, resources> used;
      for (auto& r : sim.running)
        for (auto& p : r.instances)
          used[p.node] += p.need;
      for (auto& n : sim.nodes)
        ASSERT_TRUE(n.capacity.fits(used[n.name])) << "node " << n.name << " over-allocated";
      // Gangs whole and within their range.
      for (auto& r : sim.running)
        for (auto& role : r.spec.roles) {
          uint32_t have = 0;
          for (auto& p : r.instances)
            have += p.role == role.role ? 1 : 0;
          ASSERT_GE(have, role.min) << r.spec.id;
          ASSERT_LE(have, role.max) << r.spec.id;
        }
      // Preemption only after every lower job was shrunk to its minimum.
      for (auto& id : d.preempt) {
        int preempted_priority = 0;
        for (auto& spec : feasible_jobs)
          if (spec.id == id) {
            preempted_priority = spec.priority;
          }
        for (auto& r : sim.running) {
          if (r.spec.priority > preempted_priority || r.spec.id == id)
            continue;
          for (auto& role : r.spec.roles) {
            uint32_t have = 0;
            for (auto& p : r.instances)
              have += p.role == role.role ? 1 : 0;
            bool started_now = r.started_at_ms == sim.now;
            EXPECT_TRUE(started_now || have == role.min)
                << r.spec.id << " could have shrunk instead of preempting " << id;
          }
        }
      }
      // No deadlock: an idle cluster with a feasible job waiting starts something.
      bool feasible_waiting = false;
      for (auto& p : sim.pending)
        for (auto& spec : feasible_jobs)
          feasible_waiting = feasible_waiting || spec.id == p.spec.id;
      if (idle_before && feasible_waiting) {
        ASSERT_FALSE(d.start.empty()) << "idle cluster, feasible jobs, nothing started";
      }
      // Jobs finish after a while.
      std::vector<std::string> done;
      for (auto& r : sim.running)
        if (++age[r.spec.id] > 3 && rng() % 4 == 0)
          done.push_back(r.spec.id);
      for (auto& id : done)
        sim.finish(id);
    }
    for (auto& spec : feasible_jobs)
      EXPECT_NE(std::find(sim.start_log.begin(), sim.start_log.end(), spec.id), sim.start_log.end())
          << "feasible job " << spec.id << " never ran (trial " << trial << ")";
  }
}
