// The epoch ledger: exactly-once per epoch through random kills, joins and restarts (encode +
// decode), credit windows, refused acknowledgements, and corrupt ledger files.
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "actors/ingest/epoch_ledger.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"

using namespace dmlp;
using namespace dmlp::ingest;

namespace {

epoch_ledger make(uint64_t samples, uint32_t batch, uint32_t epochs = 0,
                  shard_mode mode = shard_mode::contiguous) {
  ledger_options options;
  options.samples = samples;
  options.batch_size = batch;
  options.max_epochs = epochs;
  options.mode = mode;
  options.seed = 7;
  auto ledger = epoch_ledger::create(options);
  EXPECT_TRUE(ledger);
  return std::move(*ledger);
}

} // namespace

TEST(epoch_ledger, one_trainer_sees_every_index_once_per_epoch) {
  auto ledger = make(100, 8, 2);
  ASSERT_FALSE(ledger.join("t", 4));
  ASSERT_FALSE(ledger.grant("t", 1000));
  for (uint64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int> seen(100, 0);
    for (uint64_t b = 0; b < ledger.batches_per_epoch(); ++b) {
      auto ticket = ledger.issue("t");
      ASSERT_TRUE(ticket);
      EXPECT_EQ(ticket->epoch, epoch);
      for (auto i : ticket->indices)
        ++seen[i];
      auto result = ledger.ack("t", ticket->epoch, ticket->batch);
      ASSERT_TRUE(result) << describe(result.error());
      EXPECT_EQ(result->epoch_completed, b + 1 == ledger.batches_per_epoch());
      ASSERT_FALSE(ledger.grant("t", 1));
    }
    for (auto count : seen)
      EXPECT_EQ(count, 1);
  }
  EXPECT_TRUE(ledger.finished());
  EXPECT_FALSE(ledger.issue("t"));
  EXPECT_EQ(ledger.total_acked(), 2 * ledger.batches_per_epoch());
}

TEST(epoch_ledger, shuffles_differ_between_epochs) {
  auto ledger = make(64, 64, 0);
  ASSERT_FALSE(ledger.join("t", 1));
  ASSERT_FALSE(ledger.grant("t", 1));
  auto first = ledger.issue("t");
  ASSERT_TRUE(first);
  ASSERT_TRUE(ledger.ack("t", 0, first->batch));
  ASSERT_FALSE(ledger.grant("t", 1));
  auto second = ledger.issue("t");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->epoch, 1u);
  EXPECT_NE(first->indices, second->indices);
}

TEST(epoch_ledger, window_bounds_outstanding_batches_whatever_the_credits) {
  auto ledger = make(1000, 10);
  ASSERT_FALSE(ledger.join("slow", 3));
  ASSERT_FALSE(ledger.grant("slow", 500));
  std::vector<batch_ticket> held;
  while (auto ticket = ledger.issue("slow"))
    held.push_back(*ticket);
  EXPECT_EQ(held.size(), 3u);
  EXPECT_EQ(ledger.outstanding_count("slow"), 3u);
  // Credits above the window are not banked.
  EXPECT_EQ(ledger.credits("slow"), 0u);
  ASSERT_TRUE(ledger.ack("slow", 0, held[0].batch));
  EXPECT_FALSE(ledger.issue("slow"));
  ASSERT_FALSE(ledger.grant("slow", 1));
  EXPECT_TRUE(ledger.issue("slow"));
  EXPECT_EQ(ledger.outstanding_count("slow"), 3u);
}

TEST(epoch_ledger, refuses_future_and_foreign_acks_and_takes_duplicates_as_no_ops) {
  auto ledger = make(40, 10);
  ASSERT_FALSE(ledger.join("a", 2));
  ASSERT_FALSE(ledger.join("b", 2));
  ASSERT_TRUE(ledger.join("a", 2)); // already a member
  ASSERT_FALSE(ledger.grant("a", 1));
  auto ticket = ledger.issue("a");
  ASSERT_TRUE(ticket);
  auto foreign = ledger.ack("b", 0, ticket->batch);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), static_cast<uint8_t>(ingest_errc::not_outstanding));
  auto future = ledger.ack("a", 5, ticket->batch);
  ASSERT_FALSE(future);
  auto first = ledger.ack("a", 0, ticket->batch);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_GT(first->samples, 0u);
  // The job master acknowledges a committed step's batches on the trainers' behalf; the
  // trainer's own acknowledgement then changes nothing (and still returns its credit).
  auto again = ledger.ack("a", 0, ticket->batch);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->samples, 0u);
  auto by_other = ledger.ack("b", 0, ticket->batch);
  ASSERT_TRUE(by_other);
  EXPECT_TRUE(by_other->duplicate);
  auto stranger = ledger.ack("zed", 0, 0);
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code(), static_cast<uint8_t>(ingest_errc::unknown_trainer));
  EXPECT_EQ(ledger.batches_done(), 1u);
}

TEST(epoch_ledger, a_dead_trainers_batches_go_to_the_survivor) {
  auto ledger = make(100, 10, 1);
  ASSERT_FALSE(ledger.join("a", 4));
  ASSERT_FALSE(ledger.join("b", 4));
  ASSERT_FALSE(ledger.grant("a", 4));
  std::vector<batch_ticket> lost;
  while (auto t = ledger.issue("a"))
    lost.push_back(*t);
  ASSERT_EQ(lost.size(), 4u);
  auto taken = ledger.leave("a");
  EXPECT_EQ(taken.size(), 4u);
  ASSERT_FALSE(ledger.check());
  std::vector<int> seen(100, 0);
  while (!ledger.finished()) {
    ASSERT_FALSE(ledger.grant("b", 1));
    auto t = ledger.issue("b");
    ASSERT_TRUE(t);
    for (auto i : t->indices)
      ++seen[i];
    ASSERT_TRUE(ledger.ack("b", t->epoch, t->batch));
  }
  for (auto count : seen)
    EXPECT_EQ(count, 1);
}

TEST(epoch_ledger, a_joining_trainer_gets_a_share_of_what_remains) {
  auto ledger = make(100, 10);
  ASSERT_FALSE(ledger.join("a", 1));
  ASSERT_FALSE(ledger.grant("a", 1));
  auto t = ledger.issue("a");
  ASSERT_TRUE(ledger.ack("a", 0, t->batch));
  ASSERT_FALSE(ledger.join("b", 1));
  // 9 batches remain, split 4 / 5 (contiguous); b takes from its own share.
  ASSERT_FALSE(ledger.grant("b", 1));
  auto tb = ledger.issue("b");
  ASSERT_TRUE(tb);
  EXPECT_GE(tb->batch, 5u);
}

TEST(epoch_ledger, randomized_kills_joins_and_restarts_keep_exactly_once) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng{seed};
    auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    const uint64_t samples = 20 + pick(400);
    const uint32_t batch = static_cast<uint32_t>(1 + pick(32));
    const uint32_t epochs = 3;
    auto ledger =
        make(samples, batch, epochs, pick(2) ? shard_mode::strided : shard_mode::contiguous);
    std::map<std::string, std::vector<batch_ticket>> held;
    std::map<std::string, uint32_t> windows;
    std::vector<std::vector<int>> acked(epochs, std::vector<int>(samples, 0));
    uint64_t next_id = 0;
    uint64_t kills = 0, joins = 0, restarts = 0;
    for (int step = 0; step < 200000 && !ledger.finished(); ++step) {
      auto op = pick(100);
      if (held.empty() || (op < 4 && held.size() < 6)) {
        auto id = "t" + std::to_string(next_id++);
        auto window = static_cast<uint32_t>(1 + pick(4));
        ASSERT_FALSE(ledger.join(id, window));
        held[id];
        windows[id] = window;
        ++joins;
      } else if (op < 7) {
        auto it = std::next(held.begin(), static_cast<long>(pick(held.size())));
        auto taken = ledger.leave(it->first);
        ASSERT_EQ(taken.size(), it->second.size());
        held.erase(it);
        ++kills;
      } else if (op < 9) {
        auto bytes = ledger.encode();
        auto restored = epoch_ledger::decode(bytes);
        ASSERT_TRUE(restored) << describe(restored.error());
        ASSERT_EQ(restored->encode(), bytes);
        ledger = std::move(*restored);
        ++restarts;
      } else if (op < 50) {
        auto it = std::next(held.begin(), static_cast<long>(pick(held.size())));
        ASSERT_FALSE(ledger.grant(it->first, static_cast<uint32_t>(1 + pick(3))));
        while (auto t = ledger.issue(it->first))
          it->second.push_back(*t);
        ASSERT_LE(ledger.outstanding_count(it->first), windows[it->first]);
      } else {
        auto it = std::next(held.begin(), static_cast<long>(pick(held.size())));
        if (it->second.empty())
          continue;
        auto k = pick(it->second.size());
        auto t = it->second[k];
        it->second.erase(it->second.begin() + static_cast<long>(k));
        auto result = ledger.ack(it->first, t.epoch, t.batch);
        ASSERT_TRUE(result) << describe(result.error());
        ASSERT_FALSE(result->duplicate);
        for (auto i : t.indices)
          ++acked[t.epoch][i];
        // A repeated acknowledgement (the master's on the trainer's behalf came first) counts
        // nothing.
        auto again = ledger.ack(it->first, t.epoch, t.batch);
        ASSERT_TRUE(again) << describe(again.error());
        ASSERT_TRUE(again->duplicate);
        ASSERT_EQ(again->samples, 0u);
      }
      ASSERT_FALSE(ledger.check()) << "seed " << seed << " step " << step;
    }
    ASSERT_TRUE(ledger.finished()) << "seed " << seed;
    for (uint32_t e = 0; e < epochs; ++e)
      for (uint64_t i = 0; i < samples; ++i)
        ASSERT_EQ(acked[e][i], 1) << "seed " << seed << " epoch " << e << " index " << i;
    EXPECT_GT(joins + kills + restarts, 0u);
  }
}

TEST(epoch_ledger, corrupt_or_truncated_ledger_files_are_refused) {
  auto ledger = make(100, 10);
  ASSERT_FALSE(ledger.join("a", 2));
  ASSERT_FALSE(ledger.grant("a", 2));
  ASSERT_TRUE(ledger.issue("a"));
  auto bytes = ledger.encode();
  auto flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;
  auto a = epoch_ledger::decode(flipped);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), static_cast<uint8_t>(ingest_errc::ledger_corrupt));
  EXPECT_NE(describe(a.error()).find("checksum"), std::string::npos) << describe(a.error());
  auto truncated = bytes;
  truncated.resize(bytes.size() / 2);
  auto b = epoch_ledger::decode(truncated);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), static_cast<uint8_t>(ingest_errc::ledger_corrupt));
  EXPECT_FALSE(epoch_ledger::decode({}));
}
