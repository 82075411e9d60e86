#include "runtime/cluster/placement.hpp"

#include <algorithm>

#include "runtime/cluster/cluster_errors.hpp"

namespace dmlp::runtime {

std::string to_string(const placement& where) {
  switch (where.how) {
    case placement::kind::any:
      return "any";
    case placement::kind::node:
      return "node=" + where.value;
    case placement::kind::label:
      return "label=" + where.value;
    case placement::kind::function:
      return "function";
  }
  return "unknown";
}

caf::expected<placement> parse_placement(const std::string& text) {
  if (text == "any")
    return placement::anywhere();
  if (text.rfind("node:", 0) == 0 && text.size() > 5)
    return placement::on_node(text.substr(5));
  if (text.rfind("label:", 0) == 0 && text.find('=', 6) != std::string::npos)
    return placement::with_label(text.substr(6));
  return caf::make_error(cluster_errc::invalid_argument,
                         "placement '" + text + "': expected any, node:NAME or label:KEY=VALUE");
}

bool has_label(const member_info& node, const std::string& label) {
  return std::find(node.labels.begin(), node.labels.end(), label) != node.labels.end();
}

caf::expected<member_info> choose_node(const std::vector<member_info>& members,
                                       const placement& where, const std::string& avoid) {
  std::vector<member_info> live;
  for (const auto& m : members)
    if (m.state == member_state::up)
      live.push_back(m);
  std::vector<member_info> eligible;
  if (where.how == placement::kind::function) {
    if (where.choose)
      if (auto name = where.choose(live))
        for (const auto& m : live)
          if (m.name == *name)
            eligible.push_back(m);
  } else {
    for (const auto& m : live)
      if (where.how == placement::kind::any ||
          (where.how == placement::kind::node && m.name == where.value) ||
          (where.how == placement::kind::label && has_label(m, where.value)))
        eligible.push_back(m);
  }
  if (eligible.empty())
    return caf::make_error(cluster_errc::no_eligible_node,
                           "no live node fits placement " + to_string(where));
  auto best = std::min_element(eligible.begin(), eligible.end(),
                               [&](const member_info& a, const member_info& b) {
                                 auto ka = std::make_tuple(a.name == avoid, a.hosted, a.name);
                                 auto kb = std::make_tuple(b.name == avoid, b.hosted, b.name);
                                 return ka < kb;
                               });
  return *best;
}

} // namespace dmlp::runtime
