#include "runtime/name_registry.hpp"

namespace dmlp::runtime {

void name_registry::put(const std::string& path, caf::actor handle) {
  std::lock_guard<std::mutex> guard{mtx_};
  entries_[path] = std::move(handle);
}

void name_registry::erase(const std::string& path, const caf::actor& handle) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(path);
  if (i != entries_.end() && i->second == handle)
    entries_.erase(i);
}

caf::actor name_registry::get(const std::string& path) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(path);
  return i != entries_.end() ? i->second : caf::actor{};
}

std::vector<std::pair<std::string, caf::actor>>
name_registry::list(const std::string& prefix) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::pair<std::string, caf::actor>> result;
  for (auto i = entries_.lower_bound(prefix);
       i != entries_.end() && i->first.compare(0, prefix.size(), prefix) == 0; ++i)
    result.emplace_back(i->first, i->second);
  return result;
}

} // namespace dmlp::runtime
