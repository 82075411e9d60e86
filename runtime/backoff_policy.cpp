#include "runtime/backoff_policy.hpp"

#include <algorithm>

namespace dmlp::runtime {

std::chrono::milliseconds backoff_policy::delay(uint32_t consecutive_failures) {
  using std::chrono::milliseconds;
  if (options_.min.count() <= 0)
    return milliseconds{0};
  auto exponent = std::min<uint32_t>(consecutive_failures > 0 ? consecutive_failures - 1 : 0, 30);
  double base = static_cast<double>(options_.min.count()) * static_cast<double>(1u << exponent);
  base = std::min(base, static_cast<double>(options_.max.count()));
  auto jitter = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> fraction{0.0, jitter};
  auto scaled = base * (1.0 - (jitter > 0 ? fraction(rng_) : 0.0));
  return milliseconds{static_cast<int64_t>(scaled)};
}

} // namespace dmlp::runtime
