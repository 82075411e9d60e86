// The parameter-server shard on the deterministic scheduler: a trainer's re-push (its reply was
// lost to a timeout or a restart) is never added to the shard's sum a second time, every request
// is answered, and a re-push under ssp waits for the staleness bound like the first push did.
// A fence (a job master lost a trainer) makes the shard refuse that incarnation's late pushes
// and report the batches it applied from it. The slices here hold buffers only, so an update sets
// each value to the sample-weighted mean of what was pushed and a double add shows in the values.
// A killed shard restarts from its checkpoint and update log with every update it answered,
// bit-identical to a shard that was never killed (Adam moments included), and with its members;
// a torn or corrupt log is replayed up to the damage and a stale one is skipped, never applied.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/training/flat_codec.hpp"
#include "actors/training/ps_shard.hpp"
#include "actors/training/ps_update_log.hpp"
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
    auto shard = spawn_shard(opt);
    caf::anon_send(shard, ps_members{std::move(members)});
    ds.run();
    return shard;
  }

  // A shard as its supervisor starts it (a restart too): from `opt` and what is on disk.
  caf::actor spawn_shard(const ps_shard_options& opt) {
    auto services = runtime::make_services(ds.sys());
    runtime::start_context ctx{ds.sys(),       caf::actor{}, "ps/shard-0", "shard-0", 0,
                               caf::message{}, nullptr,      std::nullopt, services};
    auto shard = ps_shard_start(opt)(ctx);
    EXPECT_TRUE(shard);
    ds.track(*shard);
    ds.run();
    return *shard;
  }

  // A shard of two Adam-trained parameters and two buffers, checkpointing every third update
  // into dir/ps-0.ckpt (logging into ps-0.ckpt.log); no checkpoint file without `dir`.
  static ps_shard_options durable_options(consistency mode, const std::string& dir) {
    ps_shard_options opt;
    opt.initial = {0.5f, -0.25f, 0.0f, 0.0f};
    opt.params = 2;
    opt.mode = mode;
    opt.checkpoint_every = 3;
    if (!dir.empty())
      opt.checkpoint_file = dir + "/ps-0.ckpt";
    return opt;
  }

  // Push number `clock` of `id` to a durable shard: four values that differ per clock.
  void push_four(const caf::actor& who, const std::string& id, uint64_t clock) {
    auto x = static_cast<float>(clock) + (id == "a" ? 0.3f : 0.7f);
    std::vector<float> weighted{0.1f * x, -0.2f * x, x, 2 * x};
    auto data = encode_values(weighted.data(), weighted.size());
    ASSERT_TRUE(data);
    caf::anon_send(who, ps_push{id, clock, 1, 0.01, std::move(*data), 0, clock});
    ds.run();
  }

  // The shard's slice and version, as a trainer's pull gets them.
  std::pair<std::vector<float>, uint64_t> pull(const caf::actor& shard, size_t width = 4) {
    std::pair<std::vector<float>, uint64_t> out;
    ds.sys().spawn([&](caf::event_based_actor* self) {
      self->request(shard, 10s, ps_pull_atom::value, std::string{}).then([&](ps_params& p) {
        auto vals = decode_values(p.data, width);
        if (vals)
          out.first = *vals;
        out.second = p.version;
      });
    });
    ds.run();
    return out;
  }

  void kill(const caf::actor& shard) {
    caf::anon_send_exit(shard, caf::exit_reason::kill);
    ds.run();
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

// A fresh directory for one test's checkpoint and log, removed afterwards.
class ps_shard_restart_test : public ps_shard_test {
protected:
  void SetUp() override {
    dir = (std::filesystem::temp_directory_path() /
           ("dmlp-ps-shard-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name()))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // An async durable shard, and trainer "a" after it pushed clocks 0 … pushes − 1.
  std::pair<caf::actor, caf::actor> durable_shard_after(uint64_t pushes) {
    auto shard = spawn_shard(durable_options(consistency::async, dir));
    auto a = trainer(shard).first;
    for (uint64_t clock = 0; clock < pushes; ++clock)
      push_four(a, "a", clock);
    return {shard, a};
  }

  std::string log_path() const { return ps_update_log_path(dir + "/ps-0.ckpt"); }

  std::vector<char> read(const std::string& path) const {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  void write(const std::string& path, const std::vector<char>& bytes) const {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::string dir;
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

TEST_F(ps_shard_restart_test, a_killed_shard_resumes_every_answered_update_from_its_log) {
  auto opt = durable_options(consistency::async, dir);
  auto shard = spawn_shard(opt);
  auto reference = spawn_shard(durable_options(consistency::async, ""));
  auto [a, got_a] = trainer(shard);
  auto [ref_a, got_ref] = trainer(reference);
  // Seven updates: a checkpoint after the sixth, the seventh only in the log.
  for (uint64_t clock = 0; clock < 7; ++clock) {
    push_four(a, "a", clock);
    push_four(ref_a, "a", clock);
  }
  ASSERT_EQ(got_a->params.size(), 7u);
  auto before = pull(shard);
  ASSERT_EQ(before.second, 7u);
  kill(shard);
  auto restarted = spawn_shard(opt);
  auto after = pull(restarted);
  EXPECT_EQ(after.second, 7u);
  // Bit-identical, and so are the Adam moments: the next update matches the reference's.
  EXPECT_EQ(after.first, before.first);
  EXPECT_EQ(after.first, pull(reference).first);
  auto [next, got_next] = trainer(restarted);
  // The seventh push's answer was lost with the shard: its re-push is not applied again.
  push_four(next, "a", 6);
  ASSERT_EQ(got_next->params.size(), 1u);
  EXPECT_EQ(got_next->params.back().version, 7u);
  push_four(next, "a", 7);
  push_four(ref_a, "a", 7);
  EXPECT_EQ(pull(restarted), pull(reference));
}

// A fence after a restart asks about batches whose pushes may be in the checkpoint (they left
// the log with it): the checkpoint holds them, so none is handed out and applied twice.
TEST_F(ps_shard_restart_test, a_restarted_shard_reports_the_batches_of_its_checkpoint_to_a_fence) {
  auto [shard, a] = durable_shard_after(7);
  kill(shard);
  auto restarted = spawn_shard(durable_options(consistency::async, dir));
  // Batches 0–5 are in the checkpoint, 6 in the log; 7 was never pushed.
  EXPECT_EQ(fence(restarted, "a", a, {0, 5, 6, 7}), (std::vector<uint64_t>{0, 5, 6}));
  // What the fence added survives the next checkpoint and restart too.
  push_four(trainer(restarted).first, "a", 7);
  push_four(trainer(restarted).first, "a", 8);
  kill(restarted);
  auto again = spawn_shard(durable_options(consistency::async, dir));
  EXPECT_EQ(fence(again, "a", caf::actor{}, {0, 6, 8, 9}), (std::vector<uint64_t>{0, 6, 8}));
}

TEST_F(ps_shard_restart_test, a_restarted_sync_shard_keeps_its_members_and_clocks) {
  auto opt = durable_options(consistency::sync, dir);
  auto shard = spawn_shard(opt);
  caf::anon_send(shard, ps_members{{"a", "b"}});
  ds.run();
  auto [a, got_a] = trainer(shard);
  auto [b, got_b] = trainer(shard);
  // Three rounds close (a checkpoint after the third); a has pushed in the fourth.
  for (uint64_t clock = 0; clock < 3; ++clock) {
    push_four(a, "a", clock);
    push_four(b, "b", clock);
  }
  push_four(a, "a", 3);
  ASSERT_EQ(pull(shard).second, 3u);
  kill(shard);
  auto restarted = spawn_shard(opt);
  auto [a2, got_a2] = trainer(restarted);
  auto [b2, got_b2] = trainer(restarted);
  // a's push in the open round came back from the log: the round waits for b alone, and a's
  // re-push (its answer was lost) adds nothing; a re-push of a closed round is answered at once.
  push_four(b2, "b", 2);
  ASSERT_EQ(got_b2->params.size(), 1u);
  EXPECT_EQ(got_b2->params.back().version, 3u);
  push_four(a2, "a", 3);
  EXPECT_TRUE(got_a2->params.empty());
  push_four(b2, "b", 3);
  ASSERT_EQ(got_a2->params.size(), 1u);
  EXPECT_EQ(got_a2->params.back().version, 4u);
  EXPECT_EQ(pull(restarted).second, 4u);
}

TEST_F(ps_shard_restart_test, a_torn_or_corrupt_log_is_replayed_up_to_the_damage) {
  auto opt = durable_options(consistency::async, dir);
  // Checkpoint after the third update; the log holds the fourth and the fifth.
  auto [shard, a] = durable_shard_after(4);
  auto at_four = pull(shard);
  push_four(a, "a", 4);
  ASSERT_EQ(pull(shard).second, 5u);
  kill(shard);
  auto whole = read(log_path());
  auto checkpoint = read(dir + "/ps-0.ckpt");

  // The fifth update's record lost its last bytes (the process died while writing it).
  write(log_path(), std::vector<char>(whole.begin(), whole.end() - 5));
  auto restarted = spawn_shard(opt);
  EXPECT_EQ(pull(restarted), at_four);
  kill(restarted);

  // A flipped byte inside the fifth record: the checksum refuses it, the fourth applies.
  write(dir + "/ps-0.ckpt", checkpoint);
  auto flipped = whole;
  flipped[flipped.size() - 9] ^= 0x40;
  write(log_path(), flipped);
  restarted = spawn_shard(opt);
  EXPECT_EQ(pull(restarted), at_four);
  kill(restarted);

  // Garbage instead of a log: the checkpoint alone, version 3.
  write(dir + "/ps-0.ckpt", checkpoint);
  write(log_path(), std::vector<char>(100, 'x'));
  restarted = spawn_shard(opt);
  EXPECT_EQ(pull(restarted).second, 3u);
}

TEST_F(ps_shard_restart_test, a_log_older_than_the_checkpoint_is_not_replayed) {
  auto opt = durable_options(consistency::async, dir);
  auto [shard, a] = durable_shard_after(4);
  // A log that follows the checkpoint of version 3 and holds the fourth update.
  auto old_log = read(log_path());
  for (uint64_t clock = 4; clock < 6; ++clock)
    push_four(a, "a", clock);
  auto at_six = pull(shard);
  ASSERT_EQ(at_six.second, 6u);
  kill(shard);
  // The checkpoint of version 6 was written; its log was not started (the shard died between).
  write(log_path(), old_log);
  auto restarted = spawn_shard(opt);
  EXPECT_EQ(pull(restarted), at_six);
}

TEST_F(ps_shard_restart_test, without_periodic_checkpoints_no_log_grows) {
  auto opt = durable_options(consistency::async, dir);
  opt.checkpoint_every = 0;
  auto shard = spawn_shard(opt);
  auto [a, got_a] = trainer(shard);
  for (uint64_t clock = 0; clock < 4; ++clock)
    push_four(a, "a", clock);
  ASSERT_EQ(got_a->params.size(), 4u);
  EXPECT_FALSE(std::filesystem::exists(log_path()));
}
