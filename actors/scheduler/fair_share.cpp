#include "actors/scheduler/fair_share.hpp"

namespace dmlp::scheduler {

std::map<std::pair<std::string, std::string>, double> per_process_shares(const demand_map& demand) {
  std::map<std::pair<std::string, std::string>, double> shares;
  size_t groups = 0;
  for (const auto& [group, users] : demand)
    if (!users.empty())
      ++groups;
  for (const auto& [group, users] : demand) {
    if (users.empty())
      continue;
    double group_share = 1.0 / static_cast<double>(groups);
    double user_share = group_share / static_cast<double>(users.size());
    for (const auto& [user, processes] : users)
      shares[{group, user}] = processes > 0 ? user_share / processes : 0.0;
  }
  return shares;
}

usage usage_of(const std::vector<running_job>& running) {
  usage result;
  for (const auto& job : running)
    for (const auto& instance : job.instances) {
      result.users[job.spec.user] += instance.need;
      result.groups[job.spec.group] += instance.need;
    }
  return result;
}

bool drf_before(const pending_job& a, const pending_job& b, const usage& held,
                const resources& total) {
  auto share = [&](const std::map<std::string, resources>& map, const std::string& key) {
    auto i = map.find(key);
    return i == map.end() ? 0.0 : i->second.dominant_share(total);
  };
  auto group_a = share(held.groups, a.spec.group), group_b = share(held.groups, b.spec.group);
  if (group_a != group_b)
    return group_a < group_b;
  auto user_a = share(held.users, a.spec.user), user_b = share(held.users, b.spec.user);
  if (user_a != user_b)
    return user_a < user_b;
  return a.sequence < b.sequence;
}

} // namespace dmlp::scheduler
