#include "apps/dmlp-node/scheduler_host.hpp"

#include <caf/all.hpp>

#include "actors/scheduler/scheduler_actor.hpp"
#include "messages/atoms.hpp"
#include "runtime/snapshot_store.hpp"

namespace dmlp::node {

runtime::child_spec scheduler_host(caf::actor agent, const std::string& data_dir,
                                   std::shared_ptr<spdlog::logger> log) {
  scheduler::scheduler_config config;
  config.agent = agent;
  config.snapshots = std::make_shared<runtime::file_snapshot_store>(data_dir + "/scheduler");
  config.log = std::move(log);
  return runtime::worker("scheduler", [config, agent](const runtime::start_context& ctx) {
    auto handle = scheduler::spawn_scheduler(ctx.system, config);
    caf::anon_send(agent, cl_reg_atom::value, std::string{scheduler::scheduler_registry_name},
                   handle);
    return caf::expected<caf::actor>{handle};
  });
}

} // namespace dmlp::node
