#include "runtime/cluster/cluster_view.hpp"

namespace dmlp::runtime {

void cluster_view::update(std::vector<member_info> members) {
  std::lock_guard<std::mutex> guard{mtx_};
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
      m.hosted += 1;
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
