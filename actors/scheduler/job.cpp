#include "actors/scheduler/job.hpp"

namespace dmlp::scheduler {

resources job_spec::min_resources() const {
  resources total;
  for (const auto& role : roles)
    total += role.per_instance * role.min;
  return total;
}

bool node_state::matches(const std::map<std::string, std::string>& selector) const {
  for (const auto& [key, value] : selector) {
    auto i = labels.find(key);
    if (i == labels.end() || i->second != value)
      return false;
  }
  return true;
}

} // namespace dmlp::scheduler
