// The scheduler actor on the deterministic scheduler, synchronised on messages: owners get
// grants; a higher-priority job asks the owner of a lower one to stop, takes its capacity once
// the owner answers (or the grace period ends), and the preempted job runs again later; a
// restarted scheduler keeps its queue, running jobs and allocations; instances on a lost node
// are placed again, and a gang that falls below its minimum is paused and resumed when a node
// comes up.
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/scheduler/scheduler_actor.hpp"
#include "messages/type_ids.hpp"
#include "runtime/snapshot_store.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace dmlp;
using namespace dmlp::scheduler;
using namespace std::chrono_literals;

namespace {

using list_now_atom = caf::atom_constant<caf::atom("tlistnow")>;
using answer_now_atom = caf::atom_constant<caf::atom("tanswer")>;

// What one owner saw.
struct owner_record {
  std::vector<job_grant> grants;
  std::vector<std::string> preempts;
  std::vector<std::string> cancels;
  // Preemptions it has not answered yet (answer == false).
  std::vector<std::pair<caf::response_promise, std::string>> held;
  bool answer = true;
};

using owner_ptr = std::shared_ptr<owner_record>;

// An owner that records grants and answers preemptions at once, or holds them.
caf::behavior owner(caf::event_based_actor* self, owner_ptr rec) {
  return {
      [rec](job_grant& grant) { rec->grants.push_back(std::move(grant)); },
      [self, rec](sched_preempt_atom, const std::string& id) -> caf::result<std::string> {
        rec->preempts.push_back(id);
        if (rec->answer)
          return id;
        auto promise = self->make_response_promise();
        rec->held.emplace_back(promise, id);
        return promise;
      },
      [rec](sched_cancel_atom, const std::string& id) { rec->cancels.push_back(id); },
      [rec](answer_now_atom) {
        for (auto& [promise, id] : rec->held)
          promise.deliver(id);
        rec->held.clear();
      },
  };
}

// Asks the scheduler for its list when poked and keeps the answer.
caf::behavior lister(caf::event_based_actor* self, caf::actor sched,
                     std::shared_ptr<std::vector<job_status>> out) {
  return {
      [=](list_now_atom) {
        self->request(sched, 1s, sched_list_atom::value).then([out](std::vector<job_status>& list) {
          *out = std::move(list);
        });
      },
  };
}

job_spec job(const std::string& id, int priority, double cpus_each, uint32_t min,
             uint32_t max = 0) {
  return job_spec{
      id,
      "u",
      "g",
      priority,
      {role_request{"trainer", resources{cpus_each, 0, 0}, {}, min, max == 0 ? min : max}}};
}

member_info member(const std::string& name, member_state state, uint32_t cpus) {
  member_info m;
  m.name = name;
  m.state = state;
  m.cpus = cpus;
  return m;
}

class scheduler_actor_test : public ::testing::Test {
protected:
  dmlp::testing::deterministic_system det;

  caf::actor start(scheduler_config config) {
    auto sched = spawn_scheduler(det.sys(), std::move(config));
    det.track(sched);
    det.run();
    return sched;
  }

  std::pair<caf::actor, owner_ptr> make_owner() {
    auto rec = std::make_shared<owner_record>();
    auto handle = det.sys().spawn(owner, rec);
    det.track(handle);
    det.run();
    return std::make_pair(handle, rec);
  }

  void submit(const caf::actor& sched, job_spec spec, const caf::actor& by) {
    caf::anon_send(sched, sched_submit_atom::value, job_submission{std::move(spec), by, ""});
    det.run();
  }

  std::vector<job_status> list(const caf::actor& sched) {
    auto out = std::make_shared<std::vector<job_status>>();
    auto probe = det.sys().spawn(lister, sched, out);
    det.track(probe);
    caf::anon_send(probe, list_now_atom::value);
    det.run();
    return *out;
  }

  job_status status_of(const caf::actor& sched, const std::string& id) {
    for (auto& s : list(sched))
      if (s.spec.id == id)
        return s;
    ADD_FAILURE() << "no job " << id;
    return {};
  }

  static scheduler_config one_node(double cpus) {
    scheduler_config config;
    config.nodes = {embedded_node("n1", resources{cpus, 0, 0})};
    config.tick = 1h;
    return config;
  }
};

TEST_F(scheduler_actor_test, grants_and_finishes) {
  auto sched = start(one_node(4));
  auto [o, rec] = make_owner();
  submit(sched, job("a", 0, 2, 1), o);
  ASSERT_EQ(rec->grants.size(), 1u);
  EXPECT_EQ(rec->grants[0].job, "a");
  ASSERT_EQ(rec->grants[0].placements.size(), 1u);
  EXPECT_EQ(rec->grants[0].placements[0].node, "n1");
  EXPECT_EQ(status_of(sched, "a").state, job_state::running);
  caf::anon_send(sched, sched_finish_atom::value, std::string{"a"});
  det.run();
  EXPECT_EQ(status_of(sched, "a").state, job_state::finished);
}

TEST_F(scheduler_actor_test, pending_jobs_say_why) {
  auto sched = start(one_node(2));
  auto [o, rec] = make_owner();
  submit(sched, job("first", 0, 2, 1), o);
  submit(sched, job("second", 0, 1, 2), o);
  auto second = status_of(sched, "second");
  EXPECT_EQ(second.state, job_state::pending);
  EXPECT_EQ(second.reason, "waiting for 1 cpu on any node (0 of 2 trainer instances fit)");
  caf::anon_send(sched, sched_finish_atom::value, std::string{"first"});
  det.run();
  EXPECT_EQ(status_of(sched, "second").state, job_state::running);
}

TEST_F(scheduler_actor_test, preemption_waits_for_the_owner_and_requeues) {
  auto sched = start(one_node(4));
  auto [low_owner, low] = make_owner();
  auto [high_owner, high] = make_owner();
  low->answer = false;
  submit(sched, job("low", 0, 4, 1), low_owner);
  ASSERT_EQ(low->grants.size(), 1u);
  submit(sched, job("high", 5, 4, 1), high_owner);
  ASSERT_EQ(low->preempts, std::vector<std::string>{"low"});
  EXPECT_TRUE(high->grants.empty()) << "nothing starts on capacity the low job still holds";
  EXPECT_EQ(status_of(sched, "low").state, job_state::preempting);
  // The owner checkpoints and answers.
  caf::anon_send(low_owner, answer_now_atom::value);
  det.run();
  ASSERT_EQ(high->grants.size(), 1u);
  auto requeued = status_of(sched, "low");
  EXPECT_EQ(requeued.state, job_state::pending);
  EXPECT_EQ(requeued.preemptions, 1u);
  caf::anon_send(sched, sched_finish_atom::value, std::string{"high"});
  det.run();
  ASSERT_EQ(low->grants.size(), 2u) << "the preempted job runs again";
  EXPECT_EQ(status_of(sched, "low").state, job_state::running);
}

TEST_F(scheduler_actor_test, an_owner_that_never_answers_is_requeued_after_the_grace) {
  auto config = one_node(4);
  config.preempt_grace = 5s;
  auto sched = start(config);
  auto [low_owner, low] = make_owner();
  auto [high_owner, high] = make_owner();
  low->answer = false;
  submit(sched, job("low", 0, 4, 1), low_owner);
  submit(sched, job("high", 5, 4, 1), high_owner);
  ASSERT_EQ(low->preempts.size(), 1u);
  det.advance(4s);
  EXPECT_TRUE(high->grants.empty());
  det.advance(2s);
  EXPECT_EQ(high->grants.size(), 1u);
  EXPECT_EQ(status_of(sched, "low").state, job_state::pending);
}

TEST_F(scheduler_actor_test, cancel_tells_the_owner_and_frees_capacity) {
  auto sched = start(one_node(2));
  auto [o, rec] = make_owner();
  submit(sched, job("a", 0, 2, 1), o);
  submit(sched, job("b", 0, 2, 1), o);
  caf::anon_send(sched, sched_cancel_atom::value, std::string{"a"});
  det.run();
  EXPECT_EQ(rec->cancels, std::vector<std::string>{"a"});
  EXPECT_EQ(status_of(sched, "a").state, job_state::cancelled);
  EXPECT_EQ(status_of(sched, "b").state, job_state::running);
}

TEST_F(scheduler_actor_test, a_lost_owner_cancels_its_jobs) {
  auto sched = start(one_node(2));
  auto [o, rec] = make_owner();
  submit(sched, job("a", 0, 2, 1), o);
  caf::anon_send_exit(o, caf::exit_reason::kill);
  det.run();
  EXPECT_EQ(status_of(sched, "a").state, job_state::cancelled);
}

TEST_F(scheduler_actor_test, a_restarted_scheduler_keeps_queue_running_jobs_and_allocations) {
  auto config = one_node(4);
  config.snapshots = std::make_shared<runtime::memory_snapshot_store>();
  auto sched = start(config);
  auto [o, rec] = make_owner();
  submit(sched, job("running", 0, 3, 1), o);
  submit(sched, job("waiting", 0, 2, 1), o);
  auto before = list(sched);
  caf::anon_send_exit(sched, caf::exit_reason::kill);
  det.run();
  auto again = start(config);
  auto after = list(again);
  ASSERT_EQ(after.size(), 2u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].spec.id, before[i].spec.id);
    EXPECT_EQ(after[i].state, before[i].state);
    ASSERT_EQ(after[i].placements.size(), before[i].placements.size());
    for (size_t p = 0; p < after[i].placements.size(); ++p)
      EXPECT_EQ(after[i].placements[p].node, before[i].placements[p].node);
  }
  EXPECT_EQ(rec->grants.size(), 1u) << "the running job is not granted twice";
  // The restored allocation still counts: the waiting job starts only when the first ends.
  caf::anon_send(again, sched_finish_atom::value, std::string{"running"});
  det.run();
  EXPECT_EQ(status_of(again, "waiting").state, job_state::running);
  // The owner is still watched: its loss cancels the job.
  caf::anon_send_exit(o, caf::exit_reason::kill);
  det.run();
  EXPECT_EQ(status_of(again, "waiting").state, job_state::cancelled);
}

TEST_F(scheduler_actor_test, node_loss_replaces_instances_then_pauses_and_resumes_the_gang) {
  scheduler_config config;
  config.nodes = {embedded_node("n1", resources{4, 0, 0}), embedded_node("n2", resources{4, 0, 0})};
  config.tick = 1h;
  auto sched = start(config);
  auto [o, rec] = make_owner();
  submit(sched, job("gang", 0, 2, 2), o);
  ASSERT_EQ(rec->grants.size(), 1u);
  auto first_node = rec->grants[0].placements[0].node;
  caf::anon_send(sched,
                 membership_event{member(first_node, member_state::down, 4), member_state::up});
  det.run();
  ASSERT_EQ(rec->grants.size(), 2u) << "lost instances are placed again";
  for (const auto& p : rec->grants[1].placements)
    EXPECT_NE(p.node, first_node);
  EXPECT_EQ(rec->grants[1].placements.size(), 2u);
  EXPECT_TRUE(rec->preempts.empty());
  auto second_node = rec->grants[1].placements[0].node;
  caf::anon_send(sched,
                 membership_event{member(second_node, member_state::down, 4), member_state::up});
  det.run();
  EXPECT_EQ(rec->preempts, std::vector<std::string>{"gang"}) << "below min: paused";
  auto paused = status_of(sched, "gang");
  EXPECT_EQ(paused.state, job_state::pending);
  EXPECT_NE(paused.reason.find("infeasible"), std::string::npos) << paused.reason;
  caf::anon_send(sched, membership_event{member("n3", member_state::up, 8), member_state::joining});
  det.run();
  ASSERT_EQ(rec->grants.size(), 3u) << "resumed when capacity returns";
  for (const auto& p : rec->grants[2].placements)
    EXPECT_EQ(p.node, "n3");
}

TEST_F(scheduler_actor_test, bad_jobs_are_refused) {
  auto sched = start(one_node(4));
  auto o = make_owner().first;
  auto errors = std::make_shared<std::vector<caf::error>>();
  auto client = det.sys().spawn([=](caf::event_based_actor* self) {
    job_spec bad = job("bad", 0, 1, 3, 2);
    self->request(sched, 1s, sched_submit_atom::value, job_submission{bad, o, ""})
        .then([](const std::string&) {}, [errors](caf::error& err) { errors->push_back(err); });
    self->request(sched, 1s, sched_cancel_atom::value, std::string{"nope"})
        .then([](const job_status&) {}, [errors](caf::error& err) { errors->push_back(err); });
  });
  det.track(client);
  det.run();
  ASSERT_EQ(errors->size(), 2u);
  EXPECT_EQ((*errors)[0], scheduler_errc::invalid_job);
  EXPECT_EQ((*errors)[1], scheduler_errc::unknown_job);
  EXPECT_TRUE(list(sched).empty());
}

} // namespace
