#include "actors/training/consistency_gate.hpp"

#include <algorithm>
#include <limits>

namespace dmlp::training {

bool parse_consistency(const std::string& text, consistency& out) {
  if (text == "sync")
    out = consistency::sync;
  else if (text == "async")
    out = consistency::async;
  else if (text == "ssp")
    out = consistency::ssp;
  else
    return false;
  return true;
}

const char* to_string(consistency mode) {
  switch (mode) {
    case consistency::sync:
      return "sync";
    case consistency::async:
      return "async";
    case consistency::ssp:
      return "ssp";
  }
  return "sync";
}

consistency_gate::consistency_gate(consistency mode, uint32_t staleness)
    : mode_(mode), staleness_(staleness) {}

void consistency_gate::set_members(const std::vector<std::string>& trainers) {
  std::set<std::string> next(trainers.begin(), trainers.end());
  // Newcomers start level with the slowest member that stays, so they hold nobody back.
  auto start = std::numeric_limits<uint64_t>::max();
  for (auto& t : next)
    if (auto i = clocks_.find(t); i != clocks_.end())
      start = std::min(start, i->second);
  if (start == std::numeric_limits<uint64_t>::max())
    start = min_clock();
  members_ = std::move(next);
  for (auto& t : members_)
    if (clocks_.emplace(t, start).second)
      assigned_.insert(t);
}

push_action consistency_gate::push(const std::string& trainer, uint64_t clock) {
  if (members_.count(trainer) == 0) {
    auto start = min_clock();
    members_.insert(trainer);
    if (clocks_.emplace(trainer, start).second)
      assigned_.insert(trainer);
  }
  waiting_.insert(trainer);
  auto own_numbering = assigned_.count(trainer) == 0;
  if (own_numbering && clock < clocks_[trainer])
    return push_action::drop;
  if (mode_ == consistency::sync)
    return in_round_.emplace(trainer, clock).second ? push_action::add_to_round : push_action::drop;
  clocks_[trainer] = clock + 1;
  assigned_.erase(trainer);
  return push_action::apply;
}

bool consistency_gate::round_complete() const {
  if (mode_ != consistency::sync || in_round_.empty())
    return false;
  return std::all_of(members_.begin(), members_.end(),
                     [&](const std::string& m) { return in_round_.count(m) > 0; });
}

void consistency_gate::close_round() {
  for (auto& [trainer, clock] : in_round_) {
    clocks_[trainer] = clock + 1;
    assigned_.erase(trainer);
  }
  in_round_.clear();
  ++rounds_;
}

std::vector<std::string> consistency_gate::release() {
  std::vector<std::string> out;
  auto low = min_clock();
  auto may_answer = [&](const std::string& t) {
    switch (mode_) {
      case consistency::sync:
        return in_round_.count(t) == 0;
      case consistency::async:
        return true;
      case consistency::ssp:
        return members_.count(t) == 0 || clock(t) <= low + staleness_;
    }
    return true;
  };
  for (auto i = waiting_.begin(); i != waiting_.end();) {
    if (may_answer(*i)) {
      out.push_back(*i);
      i = waiting_.erase(i);
    } else {
      ++i;
    }
  }
  return out;
}

uint64_t consistency_gate::clock(const std::string& trainer) const {
  auto i = clocks_.find(trainer);
  return i == clocks_.end() ? min_clock() : i->second;
}

uint64_t consistency_gate::min_clock() const {
  if (members_.empty())
    return 0;
  auto low = std::numeric_limits<uint64_t>::max();
  for (auto& m : members_)
    if (auto i = clocks_.find(m); i != clocks_.end())
      low = std::min(low, i->second);
  return low == std::numeric_limits<uint64_t>::max() ? 0 : low;
}

void consistency_gate::restore(std::map<std::string, uint64_t> clocks, uint64_t rounds) {
  clocks_ = std::move(clocks);
  assigned_.clear();
  rounds_ = rounds;
  in_round_.clear();
  waiting_.clear();
  auto start = min_clock();
  for (auto& m : members_)
    if (clocks_.emplace(m, start).second)
      assigned_.insert(m);
}

std::map<std::string, uint64_t> consistency_gate::clocks() const {
  std::map<std::string, uint64_t> out;
  for (auto& [trainer, clock] : clocks_)
    if (assigned_.count(trainer) == 0)
      out.emplace(trainer, clock);
  return out;
}

} // namespace dmlp::training
