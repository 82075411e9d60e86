#include "actors/serving/autoscale_policy.hpp"

#include <algorithm>
#include <cmath>

namespace dmlp::serving {

autoscale_policy::autoscale_policy(autoscale_options options) : options_(options) {
  options_.max_replicas = std::max(options_.max_replicas, std::max(options_.min_replicas, 1u));
  if (!(options_.target_concurrency > 0))
    options_.target_concurrency = 1.0;
}

void autoscale_policy::observe(time_point now, double concurrency) {
  samples_.emplace_back(now, std::max(0.0, concurrency));
  while (!samples_.empty() && now - samples_.front().first > options_.window)
    samples_.pop_front();
}

double autoscale_policy::average() const {
  if (samples_.empty())
    return 0.0;
  double sum = 0;
  for (auto& s : samples_)
    sum += s.second;
  return sum / static_cast<double>(samples_.size());
}

uint32_t autoscale_policy::recommend() const {
  auto wanted = std::ceil(average() / options_.target_concurrency - 1e-9);
  auto n = static_cast<uint32_t>(std::max(0.0, std::min(wanted, 1e6)));
  return std::clamp(n, options_.min_replicas, options_.max_replicas);
}

uint32_t autoscale_policy::decide(time_point now, uint32_t current, uint32_t waiting) {
  auto wanted = recommend();
  if (current == 0 && waiting > 0) // Activation: someone waits for a replica.
    wanted = std::max(wanted, 1u);
  wanted = std::clamp(wanted, options_.min_replicas, options_.max_replicas);
  if (current < options_.min_replicas || current > options_.max_replicas) {
    above_since_.reset();
    below_since_.reset();
    return std::clamp(current, options_.min_replicas, options_.max_replicas);
  }
  if (wanted > current) {
    below_since_.reset();
    if (current == 0 && waiting > 0)
      return wanted;
    if (!above_since_)
      above_since_ = now;
    return now - *above_since_ >= options_.scale_up_delay ? wanted : current;
  }
  above_since_.reset();
  if (wanted < current) {
    if (!below_since_) {
      below_since_ = now;
      highest_below_ = wanted;
    }
    highest_below_ = std::max(highest_below_, wanted);
    if (now - *below_since_ >= options_.scale_down_delay) {
      below_since_.reset();
      return highest_below_;
    }
    return current;
  }
  below_since_.reset();
  return current;
}

} // namespace dmlp::serving
