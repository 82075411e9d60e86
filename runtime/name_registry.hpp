// Node-local registry of supervised actors by path ("demo/workers/squarer-1"). Supervisors
// register each child when it starts and remove it when that instance exits, so a lookup
// returns the current instance after a restart (OTP's registered names). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

namespace dmlp::runtime {

/// Maps supervision paths to running actors.
class name_registry {
public:
  /// Registers (or replaces) `path`.
  void put(const std::string& path, caf::actor handle);

  /// Removes `path` only while it still names `handle` (a newer instance stays).
  void erase(const std::string& path, const caf::actor& handle);

  /// The actor at `path`, or an invalid handle.
  caf::actor get(const std::string& path) const;

  /// Every entry whose path starts with `prefix`, in path order.
  std::vector<std::pair<std::string, caf::actor>> list(const std::string& prefix = "") const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, caf::actor> entries_;
};

} // namespace dmlp::runtime
