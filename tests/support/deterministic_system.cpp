#include "tests/support/deterministic_system.hpp"

#include <caf/all.hpp>

#include "runtime/system_config.hpp"

namespace dmlp::testing {

deterministic_system::deterministic_system() {
  runtime::configure_actor_system(cfg_, runtime::scheduler_kind::deterministic);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
}

deterministic_system::~deterministic_system() {
  for (auto& handle : tracked_)
    caf::anon_send_exit(handle, caf::exit_reason::kill);
  tracked_.clear();
  run();
  while (sched_->trigger_timeouts())
    run();
}

size_t deterministic_system::run() {
  return sched_->run();
}

void deterministic_system::advance(std::chrono::milliseconds d) {
  sched_->advance_time(d);
  run();
}

} // namespace dmlp::testing
