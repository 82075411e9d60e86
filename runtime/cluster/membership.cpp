#include "runtime/cluster/membership.hpp"

namespace dmlp::runtime {

membership::membership(member_info self, failure_detector_options options, time_point)
    : self_(std::move(self)), options_(options) {
  self_.state = member_state::up;
}

void membership::update_self(const member_info& self) {
  auto name = self_.name;
  auto epoch = self_.epoch;
  self_ = self;
  self_.name = std::move(name);
  self_.epoch = epoch;
  self_.state = member_state::up;
}

void membership::reincarnate(uint64_t epoch, time_point) {
  // What the old incarnation declared down is forgotten too: after a partition both sides
  // declared each other down, and the new incarnation must accept the other side as it is now
  // (a fresh process knows no tombstones either; members' views bring back the real ones).
  for (auto i = tombstones_.begin(); i != tombstones_.end();)
    i = i->first == self_.name ? std::next(i) : tombstones_.erase(i);
  tombstones_.emplace(self_.name, self_.epoch);
  self_.epoch = epoch;
  others_.clear();
  self_declared_down_ = false;
}

void membership::set_state(entry& e, member_state state, time_point now,
                           std::vector<membership_event>& events) {
  if (e.info.state == state)
    return;
  auto previous = e.info.state;
  e.info.state = state;
  e.changed = now;
  if (!alive(state)) {
    tombstones_.emplace(e.info.name, e.info.epoch);
    e.names.clear();
  }
  events.push_back(membership_event{e.info, previous});
}

void membership::replace(const member_info& node, member_state state, time_point now,
                         std::vector<membership_event>& events) {
  auto i = others_.find(node.name);
  if (i != others_.end() && i->second.info.epoch != node.epoch)
    set_state(i->second, member_state::down, now, events);
  if (i == others_.end() || i->second.info.epoch != node.epoch) {
    entry e{node, now, now, {}};
    e.info.state = state;
    others_[node.name] = e;
    events.push_back(membership_event{e.info, member_state::joining});
    return;
  }
  auto& e = i->second;
  auto keep = e.info.state;
  e.info = node;
  e.info.state = keep;
  e.last_seen = now;
  set_state(e, state, now, events);
}

std::vector<membership_event> membership::admit(const member_info& node, time_point now) {
  std::vector<membership_event> events;
  if (node.name == self_.name)
    return events;
  if (is_final(node.name, node.epoch))
    return events;
  replace(node, member_state::up, now, events);
  return events;
}

membership::verdict membership::heartbeat(const member_info& from, std::vector<cluster_name> names,
                                          time_point now, std::vector<membership_event>& events) {
  if (is_final(from.name, from.epoch))
    return verdict::stale;
  auto i = others_.find(from.name);
  if (i == others_.end() || i->second.info.epoch != from.epoch)
    return verdict::unknown;
  replace(from, member_state::up, now, events);
  i->second.names = std::move(names);
  return verdict::accepted;
}

void membership::merge(const std::vector<member_info>& view, time_point now,
                       std::vector<membership_event>& events) {
  for (const auto& v : view) {
    if (v.name == self_.name) {
      if (v.epoch == self_.epoch && !alive(v.state))
        self_declared_down_ = true;
      continue;
    }
    if (is_final(v.name, v.epoch))
      continue;
    auto i = others_.find(v.name);
    if (!alive(v.state)) {
      if (i != others_.end() && i->second.info.epoch == v.epoch)
        set_state(i->second, v.state, now, events);
      else
        tombstones_.emplace(v.name, v.epoch);
      continue;
    }
    if (i == others_.end() || i->second.info.epoch != v.epoch)
      replace(v, member_state::joining, now, events);
  }
}

std::vector<membership_event> membership::tick(time_point now) {
  std::vector<membership_event> events;
  for (auto i = others_.begin(); i != others_.end();) {
    auto& e = i->second;
    auto silence = now - e.last_seen;
    if (alive(e.info.state)) {
      if (silence >= options_.down_after)
        set_state(e, member_state::down, now, events);
      else if (silence >= options_.suspect_after && e.info.state == member_state::up)
        set_state(e, member_state::suspect, now, events);
    } else if (now - e.changed >= options_.forget_after) {
      i = others_.erase(i);
      continue;
    }
    ++i;
  }
  return events;
}

std::vector<membership_event> membership::mark_down(const std::string& name, uint64_t epoch,
                                                    time_point now) {
  std::vector<membership_event> events;
  auto i = others_.find(name);
  if (i != others_.end() && i->second.info.epoch == epoch)
    set_state(i->second, member_state::down, now, events);
  else
    tombstones_.emplace(name, epoch);
  return events;
}

std::vector<membership_event> membership::mark_left(const std::string& name, uint64_t epoch,
                                                    time_point now) {
  std::vector<membership_event> events;
  auto i = others_.find(name);
  if (i != others_.end() && i->second.info.epoch == epoch && alive(i->second.info.state))
    set_state(i->second, member_state::left, now, events);
  else
    tombstones_.emplace(name, epoch);
  return events;
}

std::vector<member_info> membership::members() const {
  std::vector<member_info> result{self_};
  for (const auto& [name, e] : others_)
    result.push_back(e.info);
  return result;
}

std::vector<member_info> membership::up_members() const {
  std::vector<member_info> result;
  for (auto& m : members())
    if (m.state == member_state::up)
      result.push_back(std::move(m));
  return result;
}

const member_info* membership::find(const std::string& name) const {
  if (name == self_.name)
    return &self_;
  auto i = others_.find(name);
  return i == others_.end() ? nullptr : &i->second.info;
}

bool membership::is_final(const std::string& name, uint64_t epoch) const {
  return tombstones_.count({name, epoch}) > 0;
}

std::vector<cluster_name> membership::names() const {
  auto result = self_names_;
  for (const auto& [name, e] : others_)
    if (e.info.state == member_state::up || e.info.state == member_state::suspect)
      result.insert(result.end(), e.names.begin(), e.names.end());
  return result;
}

} // namespace dmlp::runtime
