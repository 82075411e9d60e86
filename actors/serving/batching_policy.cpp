#include "actors/serving/batching_policy.hpp"

#include <algorithm>

namespace dmlp::serving {

std::string to_string(flush_reason reason) {
  switch (reason) {
    case flush_reason::full:
      return "full";
    case flush_reason::preferred:
      return "preferred";
    case flush_reason::timeout:
      return "timeout";
  }
  return "unknown";
}

batching_policy::batching_policy(batching_options options) : options_(std::move(options)) {
  options_.max_batch = std::max<uint32_t>(1, options_.max_batch);
  auto& sizes = options_.preferred_sizes;
  sizes.erase(std::remove_if(sizes.begin(), sizes.end(),
                             [&](uint32_t n) { return n == 0 || n > options_.max_batch; }),
              sizes.end());
  std::sort(sizes.begin(), sizes.end(), std::greater<>{});
}

void batching_policy::enqueue(time_point now, size_t samples) {
  queue_.push_back(entry{now, samples});
  queued_samples_ += samples;
}

batch_decision batching_policy::take(size_t requests, flush_reason reason, time_point now) {
  batch_decision out;
  out.requests = requests;
  out.reason = reason;
  out.oldest_wait = now - queue_.front().arrived;
  for (size_t i = 0; i < requests; ++i) {
    out.samples += queue_.front().samples;
    queued_samples_ -= queue_.front().samples;
    queue_.pop_front();
  }
  return out;
}

std::optional<batch_decision> batching_policy::poll(time_point now) {
  if (queue_.empty())
    return std::nullopt;
  // The longest prefix of whole requests that fits max_batch, and the sample count of each
  // prefix length (for preferred sizes).
  size_t fit = 0;
  size_t fit_samples = 0;
  std::vector<size_t> prefix;
  for (auto& e : queue_) {
    if (fit_samples + e.samples > options_.max_batch)
      break;
    fit_samples += e.samples;
    ++fit;
    prefix.push_back(fit_samples);
  }
  if (fit == 0) // The oldest request alone exceeds max_batch: it runs alone.
    return take(1, flush_reason::full, now);
  if (fit < queue_.size() || fit_samples == options_.max_batch)
    return take(fit, flush_reason::full, now);
  for (auto size : options_.preferred_sizes) {
    auto i = std::find(prefix.begin(), prefix.end(), size);
    if (i != prefix.end())
      return take(static_cast<size_t>(i - prefix.begin()) + 1, flush_reason::preferred, now);
  }
  if (now - queue_.front().arrived >= std::chrono::microseconds{options_.max_delay_us})
    return take(fit, flush_reason::timeout, now);
  return std::nullopt;
}

std::optional<batching_policy::time_point> batching_policy::deadline() const {
  if (queue_.empty())
    return std::nullopt;
  return queue_.front().arrived + std::chrono::microseconds{options_.max_delay_us};
}

} // namespace dmlp::serving
