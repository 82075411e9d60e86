// Fair share between groups and users (the book's chapter 6): the cluster is split equally
// between groups, a group's part equally between its users, a user's part equally between
// their processes. With several resources, who is furthest below their share is decided by
// Dominant Resource Fairness: the share of a user (or group) is the largest fraction of any one
// resource it holds. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "actors/scheduler/job.hpp"

namespace dmlp::scheduler {

/// Processes per user, per group: demand[group][user] = processes.
using demand_map = std::map<std::string, std::map<std::string, uint32_t>>;

/// The fraction of the cluster each single process of (group, user) is entitled to.
std::map<std::pair<std::string, std::string>, double> per_process_shares(const demand_map& demand);

/// Resources held per user and per group by the running jobs.
struct usage {
  /// By user.
  std::map<std::string, resources> users;
  /// By group.
  std::map<std::string, resources> groups;
};

/// Sums the resources of every placed instance by user and group.
usage usage_of(const std::vector<running_job>& running);

/// Orders pending jobs by DRF: the job whose group, then user, holds the smallest dominant share
/// of `total` first; ties by submission sequence.
bool drf_before(const pending_job& a, const pending_job& b, const usage& held,
                const resources& total);

} // namespace dmlp::scheduler
