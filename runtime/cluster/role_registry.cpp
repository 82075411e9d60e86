#include "runtime/cluster/role_registry.hpp"

#include "runtime/cluster/cluster_errors.hpp"

namespace dmlp::runtime {

void role_registry::add(const std::string& role, role_factory factory) {
  std::lock_guard<std::mutex> guard{mtx_};
  factories_[role] = std::move(factory);
}

caf::expected<caf::actor> role_registry::spawn(caf::actor_system& sys,
                                               const spawn_request& request) const {
  role_factory factory;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = factories_.find(request.role);
    if (i == factories_.end())
      return caf::make_error(cluster_errc::unknown_role, "no role '" + request.role + "' here");
    factory = i->second;
  }
  return factory(sys, request);
}

std::vector<std::string> role_registry::roles() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> result;
  for (const auto& [name, factory] : factories_)
    result.push_back(name);
  return result;
}

} // namespace dmlp::runtime
