#include "runtime/cluster/singleton_policy.hpp"

#include <algorithm>
#include <optional>

namespace dmlp::runtime {

namespace {

bool live(member_state state) {
  return state == member_state::up || state == member_state::suspect;
}

const member_info* find_member(const std::vector<member_info>& members, const std::string& name) {
  for (const auto& m : members)
    if (m.name == name)
      return &m;
  return nullptr;
}

} // namespace

singleton_action decide_singleton(const std::string& name, const std::string& candidate_label,
                                  const singleton_view& view) {
  std::optional<std::string> lowest_other_host;
  for (const auto& entry : view.names) {
    if (entry.name != name || entry.node == view.self)
      continue;
    auto host = find_member(view.members, entry.node);
    if (host != nullptr && live(host->state) &&
        (!lowest_other_host || entry.node < *lowest_other_host))
      lowest_other_host = entry.node;
  }
  if (view.hosting)
    return lowest_other_host && *lowest_other_host < view.self ? singleton_action::stop
                                                               : singleton_action::keep;
  if (lowest_other_host || !view.settled)
    return singleton_action::stand_by;
  std::optional<std::string> first;
  for (const auto& m : view.members) {
    bool candidate = std::find(m.labels.begin(), m.labels.end(), candidate_label) != m.labels.end();
    if (candidate && m.state == member_state::up && (!first || m.name < *first))
      first = m.name;
  }
  return first == view.self ? singleton_action::start : singleton_action::stand_by;
}

std::string to_string(singleton_action action) {
  switch (action) {
    case singleton_action::start:
      return "start";
    case singleton_action::keep:
      return "keep";
    case singleton_action::stop:
      return "stop";
    case singleton_action::stand_by:
      break;
  }
  return "stand_by";
}

} // namespace dmlp::runtime
