#include "runtime/restart_intensity.hpp"

namespace dmlp::runtime {

void restart_intensity_tracker::forget_before(time_point now) {
  while (!restarts_.empty() && now - restarts_.front() > limits_.period)
    restarts_.pop_front();
}

bool restart_intensity_tracker::admit(time_point now) {
  forget_before(now);
  restarts_.push_back(now);
  return restarts_.size() <= limits_.max_restarts;
}

size_t restart_intensity_tracker::recent(time_point now) {
  forget_before(now);
  return restarts_.size();
}

} // namespace dmlp::runtime
