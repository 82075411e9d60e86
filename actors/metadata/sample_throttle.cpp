#include "actors/metadata/sample_throttle.hpp"

namespace dmlp::metadata {

bool sample_throttle::admit(const md_sample& sample) {
  auto key = std::make_tuple(sample.execution_id, sample.kind, sample.name);
  auto i = last_.find(key);
  bool final_progress = sample.kind == "progress" && sample.value >= 100.0;
  if (i == last_.end()) {
    last_.emplace(std::move(key), sample.time_ms);
    return true;
  }
  if (final_progress || sample.time_ms - i->second >= interval_.count()) {
    i->second = sample.time_ms;
    return true;
  }
  return false;
}

void sample_throttle::forget(int64_t execution_id) {
  auto first = last_.lower_bound(std::make_tuple(execution_id, std::string{}, std::string{}));
  auto last = first;
  while (last != last_.end() && std::get<0>(last->first) == execution_id)
    ++last;
  last_.erase(first, last);
}

} // namespace dmlp::metadata
