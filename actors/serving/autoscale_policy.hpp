// The autoscaler's decision logic as a plain class (no actor inside), after Knative's KPA that
// KServe uses: the observed concurrency (requests in flight plus requests waiting for a
// replica) is averaged over a window, divided by the target concurrency per replica (KServe's
// scaleTarget) and rounded up, then clamped to [min_replicas, max_replicas].
//   - Scale up happens once the recommendation has stayed above the current count for
//     scale_up_delay (0: at once).
//   - Scale down happens once it has stayed below for scale_down_delay, to the highest
//     recommendation seen during that delay (no flapping on a short lull).
//   - With min_replicas 0 the service may scale to zero; a request waiting while no replica
//     runs activates one replica at once, whatever the delays.
// Time is given by the caller. Deterministic; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace dmlp::serving {

/// Options of the autoscaler (YAML: serving.autoscale.*).
struct autoscale_options {
  /// Fewest replicas; 0 allows scale to zero. Default: 1.
  uint32_t min_replicas = 1;
  /// Most replicas. Default: 1.
  uint32_t max_replicas = 1;
  /// Concurrent requests one replica should carry (KServe scaleTarget). Default: 8.
  double target_concurrency = 8.0;
  /// Averaging window of the observed concurrency. Default: 2 s.
  std::chrono::milliseconds window{2000};
  /// How long a higher recommendation must hold before scaling up. Default: 0.
  std::chrono::milliseconds scale_up_delay{0};
  /// How long a lower recommendation must hold before scaling down. Default: 30 s.
  std::chrono::milliseconds scale_down_delay{30000};
  /// How often the autoscaler actor observes and decides. Default: 250 ms.
  std::chrono::milliseconds tick{250};
};

/// Turns a concurrency trace into replica counts.
class autoscale_policy {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit autoscale_policy(autoscale_options options);

  /// Records the concurrency seen at `now`.
  void observe(time_point now, double concurrency);

  /// The replica count to run now, given `current` replicas and `waiting` requests that no
  /// replica could take.
  uint32_t decide(time_point now, uint32_t current, uint32_t waiting);

  /// The windowed average concurrency at the last observation.
  double average() const;

  /// The options in force (min ≤ max enforced).
  const autoscale_options& options() const { return options_; }

private:
  uint32_t recommend() const;

  autoscale_options options_;
  std::deque<std::pair<time_point, double>> samples_;
  std::optional<time_point> above_since_;
  std::optional<time_point> below_since_;
  uint32_t highest_below_ = 0;
};

} // namespace dmlp::serving
