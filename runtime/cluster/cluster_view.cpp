#include "runtime/cluster/cluster_view.hpp"

#include <algorithm>

namespace dmlp::runtime {

void cluster_view::update(std::vector<member_info> members) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto now = std::chrono::steady_clock::now();
  for (auto i = noted_.begin(); i != noted_.end();)
    i = now - i->second.second >= spawn_grace_ ? noted_.erase(i) : std::next(i);
  for (auto& m : members)
    if (auto i = noted_.find(m.name); i != noted_.end())
      m.hosted = std::max(m.hosted, i->second.first);
  members_ = std::move(members);
}

std::vector<member_info> cluster_view::members() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return members_;
}

void cluster_view::note_spawn(const std::string& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& m : members_)
    if (m.name == node)
      noted_[node] = {++m.hosted, std::chrono::steady_clock::now()};
}

std::string cluster_view::last_node(const std::string& path) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = last_nodes_.find(path);
  return i == last_nodes_.end() ? std::string{} : i->second;
}

void cluster_view::set_last_node(const std::string& path, const std::string& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  last_nodes_[path] = node;
}

} // namespace dmlp::runtime
