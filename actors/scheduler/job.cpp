#include "actors/scheduler/job.hpp"

namespace dmlp::scheduler {

bool node_state::matches(const std::map<std::string, std::string>& selector) const {
  for (const auto& [key, value] : selector) {
    auto i = labels.find(key);
    if (i == labels.end() || i->second != value)
      return false;
  }
  return true;
}

} // namespace dmlp::scheduler
