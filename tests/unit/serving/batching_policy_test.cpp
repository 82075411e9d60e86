// The dynamic batcher as a pure class: flush reasons, sizes and waits on a fake clock.
#include <gtest/gtest.h>

#include "actors/serving/batching_policy.hpp"

using namespace dmlp::serving;
using namespace std::chrono;

namespace {

const steady_clock::time_point t0{};

batching_options opts(uint32_t max_batch, uint32_t delay_us, std::vector<uint32_t> pref = {}) {
  return batching_options{max_batch, delay_us, std::move(pref)};
}

} // namespace

TEST(batching_policy, waits_for_company_until_the_delay_passes) {
  batching_policy p{opts(8, 1000)};
  p.enqueue(t0, 1);
  p.enqueue(t0 + microseconds{200}, 1);
  EXPECT_FALSE(p.poll(t0 + microseconds{999}));
  EXPECT_EQ(*p.deadline(), t0 + microseconds{1000});
  auto d = p.poll(t0 + microseconds{1000});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->requests, 2u);
  EXPECT_EQ(d->samples, 2u);
  EXPECT_EQ(d->reason, flush_reason::timeout);
  EXPECT_EQ(d->oldest_wait, microseconds{1000});
  EXPECT_FALSE(p.deadline());
  EXPECT_EQ(p.queued_requests(), 0u);
}

TEST(batching_policy, flushes_at_once_when_full) {
  batching_policy p{opts(4, 1000000)};
  for (int i = 0; i < 3; ++i)
    p.enqueue(t0, 1);
  EXPECT_FALSE(p.poll(t0));
  p.enqueue(t0, 1);
  auto d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 4u);
  EXPECT_EQ(d->reason, flush_reason::full);
}

TEST(batching_policy, never_splits_a_request_and_runs_an_oversized_one_alone) {
  batching_policy p{opts(4, 1000)};
  p.enqueue(t0, 3);
  p.enqueue(t0, 2); // 3 + 2 > 4: the first batch is full with one request
  auto d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->requests, 1u);
  EXPECT_EQ(d->samples, 3u);
  EXPECT_EQ(d->reason, flush_reason::full);
  EXPECT_FALSE(p.poll(t0));
  p.enqueue(t0, 10);
  d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 2u); // the 2 goes first (arrival order), full because 2 + 10 > 4
  d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 10u);
  EXPECT_EQ(d->reason, flush_reason::full);
}

TEST(batching_policy, flushes_the_largest_reachable_preferred_size) {
  batching_policy p{opts(32, 1000000, {4, 8})};
  for (int i = 0; i < 3; ++i)
    p.enqueue(t0, 1);
  EXPECT_FALSE(p.poll(t0));
  p.enqueue(t0, 1);
  auto d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 4u);
  EXPECT_EQ(d->reason, flush_reason::preferred);
  p.enqueue(t0, 5);
  p.enqueue(t0, 3);
  d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 8u);
  EXPECT_EQ(d->reason, flush_reason::preferred);
}

TEST(batching_policy, zero_delay_flushes_every_arrival) {
  batching_policy p{opts(1, 0)};
  p.enqueue(t0, 1);
  auto d = p.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->samples, 1u);
  batching_policy q{opts(16, 0)};
  q.enqueue(t0, 2);
  d = q.poll(t0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, flush_reason::timeout);
}

TEST(batching_policy, ignores_preferred_sizes_above_max_batch) {
  batching_policy p{opts(4, 100, {0, 16, 2})};
  EXPECT_EQ(p.options().preferred_sizes, (std::vector<uint32_t>{2}));
  EXPECT_EQ(to_string(flush_reason::preferred), "preferred");
}
