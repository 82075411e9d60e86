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
  members_ = std::set<std::string>(trainers.begin(), trainers.end());
  for (auto& t : members_)
    clocks_.emplace(t, min_clock());
}

bool consistency_gate::push(const std::string& trainer) {
  if (members_.count(trainer) == 0) {
    auto start = min_clock();
    members_.insert(trainer);
    clocks_.emplace(trainer, start);
  }
  waiting_.insert(trainer);
  if (mode_ == consistency::sync) {
    in_round_.insert(trainer);
    return false;
  }
  ++clocks_[trainer];
  return true;
}

bool consistency_gate::round_complete() const {
  if (mode_ != consistency::sync || in_round_.empty())
    return false;
  return std::all_of(members_.begin(), members_.end(),
                     [&](const std::string& m) { return in_round_.count(m) > 0; });
}

void consistency_gate::close_round() {
  for (auto& t : in_round_)
    ++clocks_[t];
  in_round_.clear();
  ++rounds_;
}

std::vector<std::string> consistency_gate::release() {
  std::vector<std::string> out;
  if (mode_ == consistency::sync) {
    if (!in_round_.empty())
      return out;
    out.assign(waiting_.begin(), waiting_.end());
    waiting_.clear();
    return out;
  }
  auto low = min_clock();
  for (auto i = waiting_.begin(); i != waiting_.end();) {
    auto c = clock(*i);
    if (mode_ == consistency::async || members_.count(*i) == 0 || c <= low + staleness_) {
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
  return i == clocks_.end() ? 0 : i->second;
}

uint64_t consistency_gate::min_clock() const {
  if (members_.empty())
    return 0;
  auto low = std::numeric_limits<uint64_t>::max();
  for (auto& m : members_)
    low = std::min(low, clock(m));
  return low;
}

void consistency_gate::restore(std::map<std::string, uint64_t> clocks, uint64_t rounds) {
  clocks_ = std::move(clocks);
  rounds_ = rounds;
  in_round_.clear();
  waiting_.clear();
}

} // namespace dmlp::training
