// The supervisor's pure decisions: restart plans per strategy, restart types, the intensity
// window and the back-off curve.
#include <gtest/gtest.h>

#include <caf/exit_reason.hpp>

#include "runtime/backoff_policy.hpp"
#include "runtime/errors.hpp"
#include "runtime/restart_intensity.hpp"
#include "runtime/supervision_policy.hpp"

using namespace dmlp::runtime;
using namespace std::chrono_literals;
using indices = std::vector<size_t>;

TEST(restart_plan, one_for_one_touches_only_the_failed_child) {
  auto plan = plan_restart(strategy::one_for_one, 1, 4);
  EXPECT_EQ(plan.stop, indices{});
  EXPECT_EQ(plan.start, indices{1});
  EXPECT_EQ(plan_restart(strategy::simple_one_for_one, 2, 4).start, indices{2});
}

TEST(restart_plan, one_for_all_stops_the_others_in_reverse_and_restarts_all) {
  auto plan = plan_restart(strategy::one_for_all, 1, 4);
  EXPECT_EQ(plan.stop, (indices{3, 2, 0}));
  EXPECT_EQ(plan.start, (indices{0, 1, 2, 3}));
}

TEST(restart_plan, rest_for_one_stops_the_younger_siblings) {
  auto plan = plan_restart(strategy::rest_for_one, 1, 4);
  EXPECT_EQ(plan.stop, (indices{3, 2}));
  EXPECT_EQ(plan.start, (indices{1, 2, 3}));
  auto last = plan_restart(strategy::rest_for_one, 3, 4);
  EXPECT_EQ(last.stop, indices{});
  EXPECT_EQ(last.start, indices{3});
}

TEST(restart_types, follow_otp) {
  caf::error normal{caf::exit_reason::normal};
  caf::error shutdown{caf::exit_reason::user_shutdown};
  caf::error crash{caf::exit_reason::unhandled_exception};
  caf::error killed{caf::exit_reason::kill};
  EXPECT_TRUE(should_restart(restart_type::permanent, normal));
  EXPECT_TRUE(should_restart(restart_type::permanent, crash));
  EXPECT_FALSE(should_restart(restart_type::transient, normal));
  EXPECT_FALSE(should_restart(restart_type::transient, shutdown));
  EXPECT_TRUE(should_restart(restart_type::transient, crash));
  EXPECT_TRUE(should_restart(restart_type::transient, killed));
  EXPECT_FALSE(should_restart(restart_type::temporary, crash));
  EXPECT_TRUE(should_restart(restart_type::transient,
                             caf::make_error(runtime_errc::restart_intensity_exceeded)));
}

TEST(restart_intensity, admits_at_most_max_restarts_in_the_window) {
  restart_intensity_tracker tracker{restart_intensity{3, 1000ms}};
  std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(tracker.admit(t0));
  EXPECT_TRUE(tracker.admit(t0 + 100ms));
  EXPECT_TRUE(tracker.admit(t0 + 200ms));
  EXPECT_FALSE(tracker.admit(t0 + 300ms));
  EXPECT_EQ(tracker.recent(t0 + 300ms), 4u);
  // The window slides: the restarts at 0 and 100 ms fall out.
  EXPECT_EQ(tracker.recent(t0 + 1150ms), 2u);
  restart_intensity_tracker fresh{restart_intensity{1, 1000ms}};
  EXPECT_TRUE(fresh.admit(t0));
  EXPECT_TRUE(fresh.admit(t0 + 1001ms));
  EXPECT_FALSE(fresh.admit(t0 + 1500ms));
}

TEST(backoff, doubles_up_to_the_cap_without_jitter) {
  backoff_options options;
  options.min = 10ms;
  options.max = 100ms;
  options.jitter = 0;
  backoff_policy policy{options, 1};
  EXPECT_EQ(policy.delay(1), 10ms);
  EXPECT_EQ(policy.delay(2), 20ms);
  EXPECT_EQ(policy.delay(3), 40ms);
  EXPECT_EQ(policy.delay(4), 80ms);
  EXPECT_EQ(policy.delay(5), 100ms);
  EXPECT_EQ(policy.delay(60), 100ms);
}

TEST(backoff, jitter_only_shortens_within_its_fraction) {
  backoff_options options;
  options.min = 100ms;
  options.max = 10s;
  options.jitter = 0.25;
  backoff_policy policy{options, 7};
  bool varied = false;
  auto first = policy.delay(3);
  for (int i = 0; i < 200; ++i) {
    auto d = policy.delay(3);
    EXPECT_LE(d, 400ms);
    EXPECT_GE(d, 300ms);
    varied = varied || d != first;
  }
  EXPECT_TRUE(varied);
}

TEST(backoff, zero_minimum_restarts_at_once_and_uptime_resets) {
  backoff_options options;
  options.min = 0ms;
  options.reset_after = 5s;
  backoff_policy policy{options, 1};
  EXPECT_EQ(policy.delay(10), 0ms);
  EXPECT_FALSE(policy.recovered(4s));
  EXPECT_TRUE(policy.recovered(5s));
}
