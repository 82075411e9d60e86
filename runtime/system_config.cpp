#include "runtime/system_config.hpp"

#include <caf/atom.hpp>

#include "messages/register.hpp"
#include "runtime/errors.hpp"

namespace dmlp::runtime {

void configure_actor_system(caf::actor_system_config& cfg, scheduler_kind scheduler) {
  register_message_types(cfg);
  add_error_category(cfg, caf::atom("runtime"));
  register_runtime_error_names();
  if (scheduler == scheduler_kind::deterministic)
    cfg.set("scheduler.policy", caf::atom("testing"));
  else
    cfg.set("scheduler.policy", caf::atom("sharing"));
  // Our own supervisors log; CAF's console noise for unhandled exits would double it.
  cfg.set("logger.console", caf::atom("none"));
}

} // namespace dmlp::runtime
