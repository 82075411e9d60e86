// The parameter-server shard on the deterministic scheduler: a trainer's re-push (its reply was
// lost to a timeout or a restart) is never added to the shard's sum a second time, every request
// is answered, and a re-push under ssp waits for the staleness bound like the first push did.
// A fence (a job master lost a trainer) makes the shard refuse that incarnation's late pushes
// and report the batches it applied from it. The slices here hold buffers only, so an update sets
// each value to the sample-weighted mean of what was pushed and a double add shows in the values.
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/training/flat_codec.hpp"
#include "actors/training/ps_shard.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"
#include "runtime/services.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace dmlp;
using namespace dmlp::training;
using namespace std::chrono_literals;

namespace {

// What one test trainer got back.
struct answers {
  std::vector<ps_params> params;
  std::vector<caf::error> errors;
};

// A trainer stand-in: sends each push it is given to the shard and records the answer.
caf::behavior pusher(caf::event_based_actor* self, caf::actor shard, std::shared_ptr<answers> out) {
  return {
      [=](ps_push& push) {
        self->request(shard, 10s, std::move(push))
            .then([out](ps_params& p) { out->params.push_back(std::move(p)); },
                  [out](caf::error& err) { out->errors.push_back(std::move(err)); });
      },
  };
}

class ps_shard_test : public ::testing::Test {
protected:
  // A shard of two buffer values (no parameters) in `mode`, told its live `members`.
  caf::actor start_shard(consistency mode, std::vector<std::string> members,
                         uint32_t staleness = 0) {
    ps_shard_options opt;
    opt.initial = {0.0f, 0.0f};
    opt.params = 0;
    opt.mode = mode;
    opt.staleness = staleness;
    opt.checkpoint_every = 0;
    auto services = runtime::make_services(ds.sys());
    runtime::start_context ctx{ds.sys(),       caf::actor{}, "ps/shard-0", "shard-0", 0,
                               caf::message{}, nullptr,      std::nullopt, services};
    auto shard = ps_shard_start(opt)(ctx);
    EXPECT_TRUE(shard);
    ds.track(*shard);
    caf::anon_send(*shard, ps_members{std::move(members)});
    ds.run();
    return *shard;
  }

  // A trainer stand-in talking to `shard`, and what it got.
  std::pair<caf::actor, std::shared_ptr<answers>> trainer(const caf::actor& shard) {
    auto out = std::make_shared<answers>();
    auto handle = ds.sys().spawn(pusher, shard, out);
    ds.track(handle);
    ds.run();
    return {handle, out};
  }

  // Push number `clock` of `id`: `value` per element from `samples` samples of batch `batch`
  // (epoch 0).
  void push(const caf::actor& who, const std::string& id, uint64_t clock, float value,
            uint64_t samples = 1, uint64_t batch = 0) {
    std::vector<float> weighted(2, value * static_cast<float>(samples));
    auto data = encode_values(weighted.data(), weighted.size());
    ASSERT_TRUE(data);
    caf::anon_send(who, ps_push{id, clock, samples, 0.1, std::move(*data), 0, batch});
    ds.run();
  }

  // Fences `incarnation` of trainer `id` at `shard`, asking about `batches` (epoch 0, 2 samples
  // each); returns the ids of those the shard applied.
  std::vector<uint64_t> fence(const caf::actor& shard, const std::string& id,
                              const caf::actor& incarnation, const std::vector<uint64_t>& batches) {
    ingest_fence question{id, incarnation, {}};
    for (auto b : batches)
      question.outstanding.push_back(batch_ref{0, b, 2});
    std::vector<uint64_t> out;
    ds.sys().spawn([&](caf::event_based_actor* self) {
      self->request(shard, 10s, question).then([&](ingest_fenced& f) {
        for (auto& b : f.trained)
          out.push_back(b.batch);
      });
    });
    ds.run();
    return out;
  }

  static std::vector<float> values_of(const ps_params& p) {
    auto vals = decode_values(p.data, 2);
    EXPECT_TRUE(vals);
    return vals ? *vals : std::vector<float>{};
  }

  dmlp::testing::deterministic_system ds;
};

} // namespace

TEST_F(ps_shard_test, sync_repush_in_the_open_round_is_counted_once) {
  auto shard = start_shard(consistency::sync, {"a", "b"});
  auto [a, got_a] = trainer(shard);
  auto [b, got_b] = trainer(shard);
  push(a, "a", 0, 10.0f);
  // The first request timed out at the trainer, which pushes the same gradient again.
  push(a, "a", 0, 10.0f);
  EXPECT_TRUE(got_a->params.empty());
  push(b, "b", 0, 20.0f);
  // Both of a's requests are answered once the round closed, with a counted once: 15, not 13.3.
  ASSERT_EQ(got_a->params.size(), 2u);
  ASSERT_EQ(got_b->params.size(), 1u);
  EXPECT_TRUE(got_a->errors.empty());
  for (auto& p : got_a->params) {
    EXPECT_EQ(values_of(p), (std::vector<float>{15.0f, 15.0f}));
    EXPECT_EQ(p.version, 1u);
  }
  EXPECT_EQ(values_of(got_b->params.front()), (std::vector<float>{15.0f, 15.0f}));
}

TEST_F(ps_shard_test, sync_push_of_an_applied_clock_is_answered_without_applying) {
  auto shard = start_shard(consistency::sync, {"a", "b"});
  auto [a, got_a] = trainer(shard);
  auto [b, got_b] = trainer(shard);
  push(a, "a", 0, 10.0f);
  push(b, "b", 0, 20.0f);
  ASSERT_EQ(got_a->params.size(), 1u);
  // b already pushed in the next round; a's late re-push of clock 0 must not wait for it.
  push(b, "b", 1, 40.0f);
  push(a, "a", 0, 10.0f);
  ASSERT_EQ(got_a->params.size(), 2u);
  EXPECT_EQ(got_a->params.back().version, 1u);
  EXPECT_EQ(values_of(got_a->params.back()), (std::vector<float>{15.0f, 15.0f}));
  EXPECT_EQ(got_b->params.size(), 1u);
  push(a, "a", 1, 60.0f);
  ASSERT_EQ(got_b->params.size(), 2u);
  EXPECT_EQ(got_b->params.back().version, 2u);
  EXPECT_EQ(values_of(got_b->params.back()), (std::vector<float>{50.0f, 50.0f}));
}

TEST_F(ps_shard_test, ssp_repush_is_held_within_the_staleness_bound) {
  auto shard = start_shard(consistency::ssp, {"fast", "slow"}, 1);
  auto [fast, got_fast] = trainer(shard);
  auto [slow, got_slow] = trainer(shard);
  push(fast, "fast", 0, 1.0f);
  ASSERT_EQ(got_fast->params.size(), 1u);
  // Push 1 makes fast 2 ahead of slow (bound 1): held. Its re-push must be held as well.
  push(fast, "fast", 1, 2.0f);
  push(fast, "fast", 1, 2.0f);
  EXPECT_EQ(got_fast->params.size(), 1u);
  push(slow, "slow", 0, 3.0f);
  ASSERT_EQ(got_slow->params.size(), 1u);
  ASSERT_EQ(got_fast->params.size(), 3u);
  EXPECT_TRUE(got_fast->errors.empty());
  // Three updates, not four: the re-push was not applied.
  EXPECT_EQ(got_fast->params.back().version, 3u);
  // Every answer says how far ahead of the slowest member the pusher was: never beyond s.
  for (auto& p : got_fast->params)
    EXPECT_LE(p.clock, p.slowest + 1);
  EXPECT_EQ(got_fast->params.back().clock, 2u);
  EXPECT_EQ(got_fast->params.back().slowest, 1u);
}

TEST_F(ps_shard_test, async_repush_after_a_lost_reply_is_not_applied_twice) {
  auto shard = start_shard(consistency::async, {"a"});
  auto [a, got_a] = trainer(shard);
  push(a, "a", 0, 4.0f);
  push(a, "a", 0, 4.0f);
  ASSERT_EQ(got_a->params.size(), 2u);
  EXPECT_EQ(got_a->params.back().version, 1u);
  EXPECT_EQ(values_of(got_a->params.back()), (std::vector<float>{4.0f, 4.0f}));
}

TEST_F(ps_shard_test, a_fenced_incarnations_late_push_is_refused_and_its_batches_reported) {
  auto shard = start_shard(consistency::async, {"a"});
  auto [lost, got_lost] = trainer(shard);
  push(lost, "a", 0, 4.0f, 2, 7);
  ASSERT_EQ(got_lost->params.size(), 1u);
  EXPECT_EQ(fence(shard, "a", lost, {5, 7}), (std::vector<uint64_t>{7}));
  // A push the lost incarnation sent before it died arrives after the fence: not applied.
  push(lost, "a", 1, 100.0f, 2, 8);
  ASSERT_EQ(got_lost->errors.size(), 1u);
  // The trainer's next incarnation is not fenced.
  auto [next, got_next] = trainer(shard);
  push(next, "a", 1, 6.0f, 2, 9);
  ASSERT_EQ(got_next->params.size(), 1u);
  EXPECT_EQ(got_next->params.back().version, 2u);
  EXPECT_EQ(values_of(got_next->params.back()), (std::vector<float>{6.0f, 6.0f}));
  EXPECT_EQ(fence(shard, "a", caf::actor{}, {7, 8, 9}), (std::vector<uint64_t>{7, 9}));
}

TEST_F(ps_shard_test, sync_push_in_the_open_round_counts_as_applied_for_a_fence) {
  auto shard = start_shard(consistency::sync, {"a", "b"});
  auto [a, got_a] = trainer(shard);
  auto [b, got_b] = trainer(shard);
  push(a, "a", 0, 10.0f, 1, 3);
  // An empty push (no batch) is not a batch the fence reports.
  push(b, "b", 0, 0.0f, 0, 0);
  EXPECT_EQ(fence(shard, "a", a, {3}), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(fence(shard, "b", caf::actor{}, {0}).empty());
  // a is lost and leaves the membership: its round closes without it and applies its push.
  caf::anon_send(shard, ps_members{{"b"}});
  ds.run();
  ASSERT_EQ(got_b->params.size(), 1u);
  EXPECT_EQ(got_b->params.back().version, 1u);
  EXPECT_EQ(values_of(got_b->params.back()), (std::vector<float>{10.0f, 10.0f}));
}
