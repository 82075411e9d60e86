// The autoscaler of a replicated service: an actor that, every options.tick, asks the router
// for its router_stats, feeds the concurrency (in flight + waiting) to its autoscale_policy
// and adds or removes members of the replica pool (a simple_one_for_one supervisor) until the
// pool has the recommended size. New replicas join the router once loaded and warm; removed
// ones are stopped (their in-flight requests are retried elsewhere by the router). It also
// starts the initial replicas. Fixed-size services use it with min = max.
// Spawned by model_service.
#pragma once

#include <cstdint>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/serving/autoscale_policy.hpp"

namespace dmlp::serving {

/// Spawns an autoscaler that keeps `pool` (replica ids "replica-1", "replica-2", …) sized for
/// the load `router` reports, starting with `initial` replicas.
caf::actor spawn_autoscaler(caf::actor_system& sys, autoscale_options options, uint32_t initial,
                            caf::actor router, caf::actor pool);

} // namespace dmlp::serving
