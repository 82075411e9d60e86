// Unit tests of the ring all-reduce state machine (actors/training/ring_allreduce.hpp) on a
// simulated ring: per-link FIFO queues delivered in a seeded random order across links, as CAF
// delivers between actors. Checks exact sums and bit-identical buffers on every rank, chunks
// that arrive before their step starts, stale chunks after an abort, and refused bad chunks.
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/ring_allreduce.hpp"

using namespace dmlp::training;
using dmlp::train_chunk;

namespace {

struct simulated_ring {
  std::vector<ring_allreduce> ranks;
  std::vector<std::vector<float>> buffers;
  // links[r]: chunks in flight from rank r − 1 to rank r, in send order.
  std::vector<std::deque<train_chunk>> links;
  std::mt19937 rng{7};

  simulated_ring(uint32_t n, size_t length, size_t bucket_elems)
      : ranks(n, ring_allreduce{bucket_elems}), buffers(n), links(n) {
    for (uint32_t r = 0; r < n; ++r)
      for (size_t i = 0; i < length; ++i)
        buffers[r].push_back(0.1f * static_cast<float>(r + 1) + 0.001f * static_cast<float>(i));
  }

  uint32_t size() const { return static_cast<uint32_t>(ranks.size()); }

  void post(uint32_t from, std::vector<train_chunk> chunks) {
    for (auto& c : chunks)
      links[(from + 1) % size()].push_back(std::move(c));
  }

  void start(uint32_t r, uint64_t step) {
    auto out = ranks[r].start(step, r, size(), buffers[r].data(), buffers[r].size());
    ASSERT_TRUE(out) << to_string(out.error());
    post(r, std::move(*out));
  }

  // Delivers one chunk from a random non-empty link; false when all links are empty.
  bool deliver_one() {
    std::vector<uint32_t> busy;
    for (uint32_t r = 0; r < size(); ++r)
      if (!links[r].empty())
        busy.push_back(r);
    if (busy.empty())
      return false;
    auto r = busy[std::uniform_int_distribution<size_t>(0, busy.size() - 1)(rng)];
    auto c = std::move(links[r].front());
    links[r].pop_front();
    auto out = ranks[r].receive(std::move(c));
    EXPECT_TRUE(out);
    if (out)
      post(r, std::move(*out));
    return true;
  }

  void run() {
    while (deliver_one()) {}
  }
};

std::vector<float> expected_sum(const simulated_ring& ring) {
  std::vector<float> sum(ring.buffers[0].size(), 0.0f);
  for (const auto& b : ring.buffers)
    for (size_t i = 0; i < sum.size(); ++i)
      sum[i] += b[i];
  return sum;
}

} // namespace

TEST(ring_allreduce, every_rank_ends_with_identical_bits_close_to_the_sum) {
  for (uint32_t n : {2u, 3u, 4u, 5u})
    for (size_t bucket : {size_t{0}, size_t{7}, size_t{64}}) {
      simulated_ring ring(n, 203, bucket);
      auto want = expected_sum(ring);
      for (uint32_t r = 0; r < n; ++r)
        ring.start(r, 1);
      ring.run();
      for (uint32_t r = 0; r < n; ++r) {
        ASSERT_TRUE(ring.ranks[r].done()) << "n=" << n << " bucket=" << bucket << " rank " << r;
        EXPECT_EQ(0, std::memcmp(ring.buffers[r].data(), ring.buffers[0].data(),
                                 want.size() * sizeof(float)));
      }
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(ring.buffers[0][i], want[i], 1e-4f);
    }
}

TEST(ring_allreduce, integer_valued_floats_sum_exactly) {
  simulated_ring ring(4, 1000, 100);
  for (uint32_t r = 0; r < 4; ++r)
    for (size_t i = 0; i < 1000; ++i)
      ring.buffers[r][i] = static_cast<float>((r + 1) * (i % 13));
  for (uint32_t r = 0; r < 4; ++r)
    ring.start(r, 9);
  ring.run();
  for (uint32_t r = 0; r < 4; ++r)
    for (size_t i = 0; i < 1000; ++i)
      ASSERT_EQ(ring.buffers[r][i], static_cast<float>(10 * (i % 13)));
}

TEST(ring_allreduce, chunks_of_a_step_not_started_yet_wait_for_it) {
  simulated_ring ring(3, 90, 16);
  auto want = expected_sum(ring);
  // Rank 0 and 1 start at once; rank 2 only after everything it can receive has arrived.
  ring.start(0, 4);
  ring.start(1, 4);
  ring.run();
  EXPECT_FALSE(ring.ranks[2].running());
  EXPECT_GT(ring.ranks[2].pending(), 0u);
  ring.start(2, 4);
  ring.run();
  EXPECT_EQ(ring.ranks[2].pending(), 0u);
  for (uint32_t r = 0; r < 3; ++r) {
    ASSERT_TRUE(ring.ranks[r].done());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(ring.buffers[r][i], want[i], 1e-4f);
  }
}

TEST(ring_allreduce, one_rank_is_done_at_once) {
  ring_allreduce ring(8);
  std::vector<float> buf{1, 2, 3};
  auto out = ring.start(1, 0, 1, buf.data(), buf.size());
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
  EXPECT_TRUE(ring.done());
  EXPECT_EQ(buf, (std::vector<float>{1, 2, 3}));
}

TEST(ring_allreduce, an_aborted_step_drops_its_late_chunks_and_keeps_later_ones) {
  std::vector<float> a(10, 1.0f), b(10, 2.0f);
  ring_allreduce left(0), right(0);
  auto from_left = left.start(5, 0, 2, a.data(), a.size());
  ASSERT_TRUE(from_left);
  ASSERT_TRUE(right.start(5, 1, 2, b.data(), b.size()));
  right.reset();
  auto stale = right.receive((*from_left)[0]);
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->empty());
  EXPECT_EQ(right.pending(), 0u);
  EXPECT_EQ(b, std::vector<float>(10, 2.0f));
  auto later = (*from_left)[0];
  later.step = 6;
  ASSERT_TRUE(right.receive(later));
  EXPECT_EQ(right.pending(), 1u);
}

TEST(ring_allreduce, refuses_chunks_that_do_not_fit_the_step) {
  std::vector<float> buf(10, 1.0f);
  std::vector<float> other(10, 1.0f);
  auto fresh = [&] {
    ring_allreduce ring(0);
    EXPECT_TRUE(ring.start(2, 1, 2, buf.data(), buf.size()));
    return ring;
  };
  auto valid = [&](uint32_t bucket, uint32_t phase, uint32_t hop, size_t n) {
    auto bytes = encode_values(other.data(), n);
    EXPECT_TRUE(bytes);
    return train_chunk{2, bucket, phase, hop, *bytes};
  };
  auto refused = [&](train_chunk c) {
    auto ring = fresh();
    auto out = ring.receive(std::move(c));
    return !out && out.error() == training_errc::bad_bundle;
  };
  EXPECT_TRUE(refused(valid(1, 0, 0, 5))); // no bucket 1
  EXPECT_TRUE(refused(valid(0, 0, 1, 5))); // no hop 1 in a ring of two
  EXPECT_TRUE(refused(valid(0, 2, 0, 5))); // no phase 2
  EXPECT_TRUE(refused(valid(0, 1, 0, 5))); // all-gather before reduce-scatter
  EXPECT_TRUE(refused(valid(0, 0, 0, 4))); // wrong chunk size
  EXPECT_TRUE(refused(train_chunk{2, 0, 0, 0, dmlp::encoded_bundle{{1, 2, 3, 4, 5, 6, 7, 8}}}));
  EXPECT_EQ(buf, std::vector<float>(10, 1.0f));
  auto ring = fresh();
  auto ok = ring.receive(valid(0, 0, 0, 5));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].phase, 1u);
  EXPECT_FALSE(ring.receive(valid(0, 0, 0, 5))); // the same hop twice
}

TEST(ring_allreduce, values_codec_round_trips_in_place) {
  std::vector<float> in{1.5f, -2.0f, 3.25f};
  auto bytes = encode_values(in.data(), in.size());
  ASSERT_TRUE(bytes);
  std::vector<float> seen;
  EXPECT_FALSE(visit_values(*bytes, 3, [&](const float* d, size_t n) { seen.assign(d, d + n); }));
  EXPECT_EQ(seen, in);
  EXPECT_TRUE(visit_values(*bytes, 4, [](const float*, size_t) {}));
  auto generic = dmlp::decode(*bytes);
  ASSERT_TRUE(generic);
  ASSERT_EQ(generic->tensors.size(), 1u);
  EXPECT_EQ(generic->tensors[0].name, "values");
  EXPECT_EQ(generic->tensors[0].shape, std::vector<int64_t>{3});
  auto empty = encode_values(nullptr, 0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(decode_values(*empty));
}
