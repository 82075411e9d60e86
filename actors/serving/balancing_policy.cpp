#include "actors/serving/balancing_policy.hpp"

#include "actors/serving/errors.hpp"

namespace dmlp::serving {

std::string to_string(balancing_kind kind) {
  switch (kind) {
    case balancing_kind::round_robin:
      return "round_robin";
    case balancing_kind::least_outstanding:
      return "least_outstanding";
    case balancing_kind::consistent_hash:
      return "consistent_hash";
  }
  return "unknown";
}

caf::expected<balancing_kind> parse_balancing_kind(const std::string& name) {
  for (auto kind : {balancing_kind::round_robin, balancing_kind::least_outstanding,
                    balancing_kind::consistent_hash})
    if (to_string(kind) == name)
      return kind;
  return caf::make_error(serving_errc::bad_option,
                         "unknown balancing policy '" + name +
                             "' (round_robin, least_outstanding, consistent_hash)");
}

std::optional<size_t> round_robin_policy::pick(const std::vector<replica_view>& candidates,
                                               const std::string&) {
  if (candidates.empty())
    return std::nullopt;
  return static_cast<size_t>(next_++ % candidates.size());
}

std::optional<size_t> least_outstanding_policy::pick(const std::vector<replica_view>& candidates,
                                                     const std::string&) {
  if (candidates.empty())
    return std::nullopt;
  auto n = candidates.size();
  auto start = static_cast<size_t>(rotation_++ % n);
  auto best = start;
  for (size_t step = 1; step < n; ++step) {
    auto i = (start + step) % n;
    if (candidates[i].outstanding < candidates[best].outstanding)
      best = i;
  }
  return best;
}

std::optional<size_t> consistent_hash_policy::pick(const std::vector<replica_view>& candidates,
                                                   const std::string& key) {
  if (candidates.empty())
    return std::nullopt;
  if (key.empty())
    return fallback_.pick(candidates, key);
  std::vector<std::string> ids;
  for (auto& c : candidates)
    ids.push_back(c.id);
  if (ids != ring_.members())
    ring_.assign(ids);
  auto owner = ring_.owner(key);
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].id == *owner)
      return i;
  return fallback_.pick(candidates, key);
}

std::unique_ptr<balancing_policy> make_balancing_policy(balancing_kind kind) {
  switch (kind) {
    case balancing_kind::round_robin:
      return std::make_unique<round_robin_policy>();
    case balancing_kind::consistent_hash:
      return std::make_unique<consistent_hash_policy>();
    case balancing_kind::least_outstanding:
      break;
  }
  return std::make_unique<least_outstanding_policy>();
}

} // namespace dmlp::serving
