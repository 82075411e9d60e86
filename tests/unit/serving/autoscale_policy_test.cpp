// Autoscaler decisions from synthetic load traces on a fake clock.
#include <gtest/gtest.h>

#include "actors/serving/autoscale_policy.hpp"

using namespace dmlp::serving;
using namespace std::chrono;

namespace {

const steady_clock::time_point t0{};

autoscale_options opts(uint32_t min, uint32_t max) {
  autoscale_options o;
  o.min_replicas = min;
  o.max_replicas = max;
  o.target_concurrency = 4;
  o.window = milliseconds{1000};
  o.scale_up_delay = milliseconds{500};
  o.scale_down_delay = milliseconds{3000};
  o.tick = milliseconds{250};
  return o;
}

/// Feeds `trace` (one concurrency per tick) and returns the replica count after each tick.
std::vector<uint32_t> replay(autoscale_policy& p, const std::vector<double>& trace, uint32_t start,
                             std::vector<uint32_t> waiting = {}) {
  std::vector<uint32_t> out;
  uint32_t current = start;
  for (size_t i = 0; i < trace.size(); ++i) {
    auto now = t0 + milliseconds{250} * static_cast<int>(i);
    p.observe(now, trace[i]);
    current = p.decide(now, current, i < waiting.size() ? waiting[i] : 0);
    out.push_back(current);
  }
  return out;
}

} // namespace

TEST(autoscale_policy, scales_up_after_the_delay_and_to_ceil_of_load_over_target) {
  autoscale_policy p{opts(1, 5)};
  // Steady load of 12 concurrent requests: 12 / 4 = 3 replicas, after 500 ms of evidence.
  auto counts = replay(p, std::vector<double>(8, 12.0), 1);
  EXPECT_EQ(counts[0], 1u);
  EXPECT_EQ(counts[1], 1u);
  EXPECT_EQ(counts[2], 3u);
  EXPECT_EQ(counts.back(), 3u);
}

TEST(autoscale_policy, never_exceeds_max_or_drops_below_min) {
  autoscale_policy p{opts(2, 4)};
  auto counts = replay(p, std::vector<double>(12, 100.0), 2);
  EXPECT_EQ(counts.back(), 4u);
  autoscale_policy q{opts(2, 4)};
  counts = replay(q, std::vector<double>(40, 0.0), 4);
  EXPECT_EQ(counts.back(), 2u);
}

TEST(autoscale_policy, scale_down_waits_and_ignores_a_short_lull) {
  autoscale_policy p{opts(1, 5)};
  std::vector<double> trace(8, 16.0); // 4 replicas
  trace.insert(trace.end(), 4, 0.0);  // 1 s lull: shorter than the down delay
  trace.insert(trace.end(), 8, 16.0);
  auto counts = replay(p, trace, 1);
  for (size_t i = 4; i < counts.size(); ++i)
    EXPECT_EQ(counts[i], 4u) << "tick " << i;
}

TEST(autoscale_policy, scales_down_after_the_delay_to_the_highest_recent_need) {
  autoscale_policy p{opts(1, 5)};
  std::vector<double> trace(8, 16.0);
  trace.insert(trace.end(), 40, 4.0); // need drops to 1 (the window first passes 3 and 2)
  auto counts = replay(p, trace, 1);
  EXPECT_EQ(counts[8], 4u);
  EXPECT_EQ(counts.back(), 1u);
  // No step before the delay: the first decrease comes ≥ 3 s after the drop started.
  size_t first_drop = 0;
  for (size_t i = 8; i < counts.size(); ++i)
    if (counts[i] < 4) {
      first_drop = i;
      break;
    }
  EXPECT_GE(first_drop, 8u + 12u);
}

TEST(autoscale_policy, scales_to_zero_and_activates_on_a_waiting_request) {
  autoscale_policy p{opts(0, 3)};
  std::vector<double> idle(20, 0.0);
  auto counts = replay(p, idle, 1);
  EXPECT_EQ(counts.back(), 0u);
  // A request arrives while no replica runs: one starts at once, whatever the delays.
  auto now = t0 + seconds{10};
  p.observe(now, 1.0);
  EXPECT_EQ(p.decide(now, 0, 1), 1u);
}

TEST(autoscale_policy, averages_over_the_window) {
  autoscale_policy p{opts(1, 10)};
  p.observe(t0, 8.0);
  p.observe(t0 + milliseconds{500}, 0.0);
  EXPECT_DOUBLE_EQ(p.average(), 4.0);
  p.observe(t0 + milliseconds{1600}, 2.0); // the first two left the 1 s window
  EXPECT_DOUBLE_EQ(p.average(), 2.0);
}
