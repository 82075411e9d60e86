// Restart intensity (OTP's MaxR/MaxT): a supervisor may restart at most `max_restarts`
// children within any window of `period`; one more means something is wrong beyond what
// restarting fixes, and the supervisor escalates to its parent. Plain class, no actor inside;
// the caller supplies the time. Not thread-safe (owned by one supervisor).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace dmlp::runtime {

/// How many restarts a supervisor tolerates in a sliding window.
struct restart_intensity {
  /// Restarts allowed within `period`. Default: 3 (OTP's default is 1 in 5 s).
  uint32_t max_restarts = 3;
  /// Length of the sliding window. Default: 5 s.
  std::chrono::milliseconds period = std::chrono::seconds{5};
};

/// Counts restarts in a sliding window.
class restart_intensity_tracker {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit restart_intensity_tracker(restart_intensity limits) : limits_(limits) {}

  /// Records one restart at `now`; returns false when this restart exceeds the intensity.
  bool admit(time_point now);

  /// Restarts inside the window ending at `now`.
  size_t recent(time_point now);

private:
  void forget_before(time_point now);

  restart_intensity limits_;
  std::deque<time_point> restarts_;
};

} // namespace dmlp::runtime
