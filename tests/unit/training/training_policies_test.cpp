// Unit tests of the training role's pure parts: the ring schedule (checked against a simulated
// ring, including bit-identical results), fusion buckets, the PS consistency gate (sync, async,
// ssp with a slow worker), the flat optimizers and learning-rate rules, and the codecs of
// states, PS checkpoints and PS update log records with corrupt input.
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "actors/training/consistency_gate.hpp"
#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/flat_optimizer.hpp"
#include "actors/training/nccl_backend.hpp"
#include "actors/training/ps_shard.hpp"
#include "actors/training/ps_update_log.hpp"
#include "actors/training/ring_schedule.hpp"

using namespace dmlp::training;

namespace {

// Runs the ring schedule over `inputs` (one buffer per rank) exactly as trainers do: per hop,
// every rank sends a copy of a chunk and the receiver adds (reduce-scatter) or copies
// (all-gather).
std::vector<std::vector<float>> simulate_ring(std::vector<std::vector<float>> bufs) {
  auto n = static_cast<uint32_t>(bufs.size());
  auto len = bufs[0].size();
  for (uint32_t phase = 0; phase < 2; ++phase)
    for (uint32_t hop = 0; hop + 1 < n; ++hop) {
      std::vector<std::vector<float>> sent(n);
      for (uint32_t r = 0; r < n; ++r) {
        auto h = phase == 0 ? reduce_scatter_hop(r, n, hop) : all_gather_hop(r, n, hop);
        auto c = chunk_range(len, n, h.send);
        sent[(r + 1) % n].assign(bufs[r].begin() + c.begin, bufs[r].begin() + c.end);
      }
      for (uint32_t r = 0; r < n; ++r) {
        auto h = phase == 0 ? reduce_scatter_hop(r, n, hop) : all_gather_hop(r, n, hop);
        auto c = chunk_range(len, n, h.recv);
        EXPECT_EQ(sent[r].size(), c.size());
        for (size_t i = 0; i < c.size(); ++i)
          bufs[r][c.begin + i] = phase == 0 ? sent[r][i] + bufs[r][c.begin + i] : sent[r][i];
      }
    }
  return bufs;
}

} // namespace

TEST(ring_schedule, chunks_cover_the_bucket_in_order) {
  for (size_t len : {0, 1, 5, 7, 64, 1001})
    for (uint32_t n : {1u, 2u, 3u, 4u, 7u}) {
      size_t pos = 0;
      for (uint32_t c = 0; c < n; ++c) {
        auto r = chunk_range(len, n, c);
        EXPECT_EQ(r.begin, pos);
        EXPECT_LE(r.size(), len / n + 1);
        pos = r.end;
      }
      EXPECT_EQ(pos, len);
    }
}

TEST(ring_schedule, every_chunk_is_sent_once_per_hop_and_owned_once) {
  for (uint32_t n : {2u, 3u, 4u, 5u, 8u}) {
    std::set<uint32_t> owned;
    for (uint32_t r = 0; r < n; ++r)
      owned.insert(owned_chunk(r, n));
    EXPECT_EQ(owned.size(), n);
    for (uint32_t hop = 0; hop + 1 < n; ++hop) {
      std::set<uint32_t> rs, ag;
      for (uint32_t r = 0; r < n; ++r) {
        rs.insert(reduce_scatter_hop(r, n, hop).send);
        ag.insert(all_gather_hop(r, n, hop).send);
        // What rank r receives is what rank r-1 sends.
        EXPECT_EQ(reduce_scatter_hop(r, n, hop).recv,
                  reduce_scatter_hop((r + n - 1) % n, n, hop).send);
        EXPECT_EQ(all_gather_hop(r, n, hop).recv, all_gather_hop((r + n - 1) % n, n, hop).send);
        // A rank forwards what it received in the previous hop.
        if (hop > 0) {
          EXPECT_EQ(reduce_scatter_hop(r, n, hop).send, reduce_scatter_hop(r, n, hop - 1).recv);
          EXPECT_EQ(all_gather_hop(r, n, hop).send, all_gather_hop(r, n, hop - 1).recv);
        }
      }
      EXPECT_EQ(rs.size(), n);
      EXPECT_EQ(ag.size(), n);
    }
    // The last reduce-scatter hop leaves rank r with chunk owned_chunk(r).
    for (uint32_t r = 0; r < n; ++r)
      EXPECT_EQ(reduce_scatter_hop(r, n, n - 2).recv, owned_chunk(r, n));
  }
}

TEST(ring_schedule, simulated_ring_sums_and_every_rank_holds_identical_bits) {
  std::mt19937 rng{7};
  std::normal_distribution<float> dist{0.0f, 1e3f};
  for (uint32_t n : {2u, 3u, 4u, 6u}) {
    std::vector<std::vector<float>> in(n, std::vector<float>(1237));
    for (auto& b : in)
      for (auto& x : b)
        x = dist(rng);
    auto out = simulate_ring(in);
    for (uint32_t r = 1; r < n; ++r)
      EXPECT_EQ(std::memcmp(out[0].data(), out[r].data(), out[0].size() * sizeof(float)), 0)
          << "rank " << r << " of " << n;
    for (size_t i = 0; i < in[0].size(); ++i) {
      double exact = 0;
      for (auto& b : in)
        exact += b[i];
      EXPECT_NEAR(out[0][i], exact, 1e-2 * n);
    }
  }
}

TEST(ring_schedule, buckets_fuse_small_tensors_and_cut_large_ones) {
  auto b = make_buckets({10, 20, 30, 250, 5}, 100);
  ASSERT_FALSE(b.empty());
  size_t pos = 0;
  for (auto& r : b) {
    EXPECT_EQ(r.begin, pos);
    EXPECT_LE(r.size(), 100u);
    pos = r.end;
  }
  EXPECT_EQ(pos, 315u);
  // A tensor larger than a bucket fills the open bucket, then is cut.
  EXPECT_EQ(b.front(), (span_range{0, 100}));
  // A tensor that fits a bucket but not the open one starts a new bucket.
  auto c = make_buckets({60, 50}, 100);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (span_range{0, 60}));
  EXPECT_EQ(c[1], (span_range{60, 110}));
  EXPECT_EQ(make_buckets({10, 20}, 0).size(), 1u);
  EXPECT_TRUE(make_buckets({}, 10).empty());
  EXPECT_DOUBLE_EQ(ring_bytes_per_rank(1000, 4), 1500);
  EXPECT_DOUBLE_EQ(ring_bytes_per_rank(1000, 1), 0);
}

TEST(consistency_gate, sync_applies_a_round_once_every_member_pushed) {
  consistency_gate g{consistency::sync, 0};
  g.set_members({"a", "b"});
  EXPECT_EQ(g.push("a", 0), push_action::add_to_round);
  EXPECT_FALSE(g.round_complete());
  EXPECT_TRUE(g.release().empty());
  EXPECT_EQ(g.push("b", 0), push_action::add_to_round);
  EXPECT_TRUE(g.round_complete());
  g.close_round();
  auto out = g.release();
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.clock("a"), 1u);
  EXPECT_EQ(g.rounds(), 1u);
  // A member that leaves no longer blocks the round.
  g.push("a", 1);
  EXPECT_FALSE(g.round_complete());
  g.set_members({"a"});
  EXPECT_TRUE(g.round_complete());
}

TEST(consistency_gate, sync_repush_in_the_open_round_is_not_added_again) {
  consistency_gate g{consistency::sync, 0};
  g.set_members({"a", "b"});
  EXPECT_EQ(g.push("a", 0), push_action::add_to_round);
  // a's request timed out and it pushes the same gradient again: still one contribution.
  EXPECT_EQ(g.push("a", 0), push_action::drop);
  EXPECT_TRUE(g.release().empty());
  EXPECT_FALSE(g.round_complete());
  EXPECT_EQ(g.push("b", 0), push_action::add_to_round);
  EXPECT_TRUE(g.round_complete());
  g.close_round();
  EXPECT_EQ(g.release(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.clock("a"), 1u);
}

TEST(consistency_gate, sync_push_of_an_applied_clock_is_answered_at_once) {
  consistency_gate g{consistency::sync, 0};
  g.set_members({"a", "b"});
  g.push("a", 0);
  g.push("b", 0);
  g.close_round();
  g.release();
  EXPECT_EQ(g.push("b", 1), push_action::add_to_round);
  // a's late re-push of clock 0 is not applied and does not wait for the round b opened.
  EXPECT_EQ(g.push("a", 0), push_action::drop);
  EXPECT_EQ(g.release(), std::vector<std::string>{"a"});
  EXPECT_FALSE(g.round_complete());
  EXPECT_EQ(g.clock("a"), 1u);
}

TEST(consistency_gate, async_answers_at_once) {
  consistency_gate g{consistency::async, 0};
  g.set_members({"fast", "slow"});
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(g.push("fast", i), push_action::apply);
    EXPECT_EQ(g.release(), std::vector<std::string>{"fast"});
  }
  EXPECT_EQ(g.clock("fast"), 10u);
  EXPECT_EQ(g.min_clock(), 0u);
}

TEST(consistency_gate, async_repush_is_dropped_even_after_a_restore_from_an_older_checkpoint) {
  consistency_gate g{consistency::async, 0};
  // The shard restarted from a checkpoint taken at a's clock 10; a is at 15 by now.
  g.restore({{"a", 10}}, 0);
  g.set_members({"a"});
  EXPECT_EQ(g.push("a", 15), push_action::apply);
  EXPECT_EQ(g.clock("a"), 16u);
  EXPECT_EQ(g.push("a", 15), push_action::drop);
  EXPECT_EQ(g.release(), std::vector<std::string>{"a"});
}

TEST(consistency_gate, a_joiner_adopts_its_own_numbering_on_its_first_push) {
  consistency_gate g{consistency::ssp, 2};
  g.set_members({"a"});
  for (uint64_t i = 0; i < 5; ++i)
    g.push("a", i);
  // The joiner starts level with the slowest member and holds nobody back.
  g.set_members({"a", "c"});
  EXPECT_EQ(g.clock("c"), 5u);
  EXPECT_EQ(g.min_clock(), 5u);
  // Its first push is applied whatever it counts from (it may have pulled before joining).
  EXPECT_EQ(g.push("c", 0), push_action::apply);
  EXPECT_EQ(g.clock("c"), 1u);
  EXPECT_EQ(g.clocks().count("c"), 1u);
  // Unknown trainers pull the slowest member's clock, where they would start.
  EXPECT_EQ(g.clock("someone"), 1u);
}

TEST(consistency_gate, ssp_holds_a_fast_worker_within_the_staleness_bound) {
  const uint32_t s = 2;
  consistency_gate g{consistency::ssp, s};
  g.set_members({"fast", "slow"});
  std::set<std::string> blocked;
  std::map<std::string, uint64_t> next{{"fast", 0}, {"slow", 0}};
  uint64_t max_gap = 0;
  // The fast worker pushes whenever it is not blocked; the slow one every fourth tick.
  for (int tick = 0; tick < 200; ++tick) {
    if (!blocked.count("fast")) {
      EXPECT_EQ(g.push("fast", next["fast"]++), push_action::apply);
      blocked.insert("fast");
    }
    if (tick % 4 == 0 && !blocked.count("slow")) {
      g.push("slow", next["slow"]++);
      blocked.insert("slow");
    }
    for (auto& t : g.release()) {
      blocked.erase(t);
      // A released worker is at most s ahead of the slowest.
      max_gap = std::max(max_gap, g.clock(t) - g.min_clock());
      EXPECT_LE(g.clock(t), g.min_clock() + s);
    }
  }
  EXPECT_EQ(max_gap, s);
  EXPECT_GT(g.clock("slow"), 40u);
}

TEST(consistency_gate, ssp_repush_of_a_held_worker_is_held_too) {
  const uint32_t s = 1;
  consistency_gate g{consistency::ssp, s};
  g.set_members({"fast", "slow"});
  EXPECT_EQ(g.push("fast", 0), push_action::apply);
  EXPECT_EQ(g.release(), std::vector<std::string>{"fast"});
  EXPECT_EQ(g.push("fast", 1), push_action::apply);
  EXPECT_TRUE(g.release().empty()); // 2 ahead of slow: held
  // The held push times out at the trainer, which pushes again: not applied, still held.
  EXPECT_EQ(g.push("fast", 1), push_action::drop);
  EXPECT_TRUE(g.release().empty());
  EXPECT_EQ(g.clock("fast"), 2u);
  g.push("slow", 0);
  auto out = g.release();
  EXPECT_EQ(out, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_LE(g.clock("fast"), g.min_clock() + s);
}

TEST(consistency_gate, parses_modes) {
  consistency c;
  EXPECT_TRUE(parse_consistency("ssp", c));
  EXPECT_EQ(c, consistency::ssp);
  EXPECT_FALSE(parse_consistency("eventual", c));
  EXPECT_STREQ(to_string(consistency::async), "async");
}

TEST(flat_optimizer, sgd_momentum_matches_the_formula) {
  optimizer_options o;
  o.kind = "sgd";
  o.momentum = 0.5;
  flat_optimizer opt{o, 1};
  float p = 1.0f, g = 2.0f;
  opt.step(&p, &g, 0.1);
  EXPECT_FLOAT_EQ(p, 1.0f - 0.1f * 2.0f);
  opt.step(&p, &g, 0.1);
  EXPECT_FLOAT_EQ(p, 0.8f - 0.1f * (0.5f * 2.0f + 2.0f));
}

TEST(flat_optimizer, adam_first_step_moves_by_the_rate) {
  optimizer_options o;
  flat_optimizer opt{o, 3};
  std::vector<float> p{1, 1, 1}, g{0.5f, -3, 1e-3f};
  opt.step(p.data(), g.data(), 1e-3);
  EXPECT_NEAR(p[0], 1 - 1e-3, 1e-6);
  EXPECT_NEAR(p[1], 1 + 1e-3, 1e-6);
  EXPECT_EQ(opt.steps(), 1);
  EXPECT_EQ(opt.second().size(), 3u);
}

TEST(learning_rate, step_decay_and_linear_scaling) {
  optimizer_options o;
  o.lr = 0.1;
  o.decay_epochs = 2;
  o.decay_rate = 0.5;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 64), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1, 64), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 2, 64), 0.05);
  EXPECT_DOUBLE_EQ(learning_rate(o, 5, 64), 0.025);
  o.linear_scaling = true;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 128), 0.2);
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 32), 0.05);
}

TEST(flat_codec, round_trips_and_rejects_bad_bytes) {
  flat_state s{{1, 2, 3}, {4, 5}, {6, 7}, 9};
  auto bytes = encode_state(s);
  ASSERT_TRUE(bytes);
  auto back = decode_state(*bytes, 3);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->values, s.values);
  EXPECT_EQ(back->m, s.m);
  EXPECT_EQ(back->t, 9);
  EXPECT_FALSE(decode_state(*bytes, 4));
  dmlp::encoded_bundle junk{{1, 2, 3, 4, 5, 6, 7, 8, 9}};
  EXPECT_FALSE(decode_state(junk));
  EXPECT_FALSE(decode_values(junk));
  auto v = encode_values(s.values.data(), 3);
  ASSERT_TRUE(v);
  auto vals = decode_values(*v, 3);
  ASSERT_TRUE(vals);
  EXPECT_EQ(*vals, s.values);
  EXPECT_EQ(decode_values(*v, 2).error(), training_errc::bad_bundle);
}

TEST(ps_checkpoint, round_trips_and_detects_corruption) {
  ps_checkpoint ck;
  ck.index = 3;
  ck.version = 17;
  ck.rounds = 5;
  ck.values = {1.5f, -2};
  ck.m = {0.1f};
  ck.v = {0.2f};
  ck.t = 17;
  ck.clocks = {{"trainer-0", 9}, {"trainer-1", 8}};
  ck.members = {"trainer-0", "trainer-1"};
  ck.applied["trainer-0"] = {dmlp::batch_ref{0, 41, 64}, dmlp::batch_ref{1, 2, 32}};
  auto bytes = encode_checkpoint(ck);
  ASSERT_TRUE(bytes);
  auto back = decode_checkpoint(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->index, 3u);
  EXPECT_EQ(back->version, 17u);
  EXPECT_EQ(back->rounds, 5u);
  EXPECT_EQ(back->values, ck.values);
  EXPECT_EQ(back->clocks, ck.clocks);
  EXPECT_EQ(back->members, ck.members);
  ASSERT_EQ(back->applied.size(), 1u);
  auto& applied = back->applied["trainer-0"];
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[1].epoch, 1u);
  EXPECT_EQ(applied[1].batch, 2u);
  EXPECT_EQ(applied[1].samples, 32u);
  for (size_t pos : {size_t{3}, size_t{30}, bytes->size() - 1}) {
    auto bad = *bytes;
    bad[pos] ^= 0x40;
    auto r = decode_checkpoint(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), training_errc::bad_checkpoint);
  }
  auto cut = *bytes;
  cut.resize(cut.size() / 2);
  EXPECT_FALSE(decode_checkpoint(cut));
  EXPECT_FALSE(decode_checkpoint({}));
}

TEST(nccl_backend, reports_unavailability_without_a_gpu) {
  auto probe = nccl_probe();
  if (probe) {
    std::vector<std::vector<float>> bufs(1, std::vector<float>{1, 2, 3});
    EXPECT_FALSE(nccl_all_reduce(bufs));
    return;
  }
  EXPECT_EQ(probe.error(), training_errc::nccl_unavailable);
  std::vector<std::vector<float>> bufs(2, std::vector<float>{1, 2});
  EXPECT_EQ(nccl_all_reduce(bufs), training_errc::nccl_unavailable);
}

TEST(ps_update_log, records_round_trip_and_cut_or_unknown_ones_are_refused) {
  auto base = decode_log_record(encode_log_base(2, 150));
  ASSERT_TRUE(base);
  EXPECT_EQ(base->kind, ps_log_kind::base);
  EXPECT_EQ(base->index, 2u);
  EXPECT_EQ(base->version, 150u);

  dmlp::ps_push push{"trainer-1", 41, 64, 0.002, dmlp::encoded_bundle{{1, 2, 3, 4, 5}}, 3, 77};
  auto pushed = encode_log_push(push);
  auto back = decode_log_record(pushed);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, ps_log_kind::push);
  EXPECT_EQ(back->push.trainer, "trainer-1");
  EXPECT_EQ(back->push.clock, 41u);
  EXPECT_EQ(back->push.samples, 64u);
  EXPECT_EQ(back->push.lr, 0.002);
  EXPECT_EQ(back->push.batch_epoch, 3u);
  EXPECT_EQ(back->push.batch, 77u);
  EXPECT_EQ(back->push.data.bytes, push.data.bytes);

  auto members = decode_log_record(encode_log_members({"a", "bb"}));
  ASSERT_TRUE(members);
  EXPECT_EQ(members->members, (std::vector<std::string>{"a", "bb"}));

  // Cut inside the trainer name or the fixed fields; a member count beyond the bytes; trailing
  // bytes; an unknown kind; nothing at all.
  auto cut = pushed;
  cut.resize(8);
  auto bad_members = encode_log_members({"a", "bb"});
  bad_members[1] = 9;
  auto long_base = encode_log_base(2, 150);
  long_base.push_back(0);
  for (const auto& bytes : std::vector<std::vector<uint8_t>>{
           cut, bad_members, long_base, std::vector<uint8_t>{9, 0, 0}, {}}) {
    auto r = decode_log_record(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), training_errc::bad_checkpoint);
  }
}
