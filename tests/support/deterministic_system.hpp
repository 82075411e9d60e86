// A CAF actor system on the deterministic test coordinator, configured like every dmlp system,
// for actor tests under GoogleTest: step it with run(), move its fake clock with advance(), and
// let the destructor tear it down without hanging (see TOOLCHAIN.md: pending timeouts keep
// actors alive, so tracked actors are killed and every timeout fired before the system goes).
// Single-threaded: use it from the test thread only.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace dmlp::testing {

/// A deterministic actor system for one test.
class deterministic_system {
public:
  deterministic_system();
  ~deterministic_system();

  /// The actor system.
  caf::actor_system& sys() { return *sys_; }

  /// The test coordinator.
  caf::scheduler::test_coordinator& sched() { return *sched_; }

  /// Runs every queued job until nothing is left; returns how many ran.
  size_t run();

  /// Moves the fake clock forward by `d`, firing what became due, and runs.
  void advance(std::chrono::milliseconds d);

  /// Kills `handle` at teardown (supervisors, probes, anything that might outlive the test).
  void track(caf::actor handle) { tracked_.push_back(std::move(handle)); }

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::vector<caf::actor> tracked_;
};

} // namespace dmlp::testing
