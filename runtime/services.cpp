#include "runtime/services.hpp"

#include <caf/group_manager.hpp>

namespace dmlp::runtime {

runtime_services make_services(caf::actor_system& sys, std::shared_ptr<spdlog::logger> log,
                               uint64_t seed) {
  runtime_services services;
  services.names = std::make_shared<name_registry>();
  services.events = sys.groups().get_local(supervision_events_group);
  services.log = std::move(log);
  services.seed = seed;
  return services;
}

} // namespace dmlp::runtime
