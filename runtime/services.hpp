// What every supervisor of one node shares and hands down its tree: the node's name registry,
// the supervision event stream, the node logger and a seed for back-off jitter. Cheap to copy
// (shared pointers and handles); the pointees are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/group.hpp>
#include <spdlog/logger.h>

#include "runtime/name_registry.hpp"

namespace dmlp::runtime {

/// Shared facilities of one node's supervision trees.
struct runtime_services {
  /// Current instance of every supervised actor by path. Never null after make_services().
  std::shared_ptr<name_registry> names;
  /// Local CAF group that receives every supervision_event; join it to subscribe.
  caf::group events;
  /// The node's logger; may be null (no logging).
  std::shared_ptr<spdlog::logger> log;
  /// Seed for back-off jitter; each supervisor mixes in its path. Default: 1.
  uint64_t seed = 1;
};

/// Name of the local group that carries supervision events.
constexpr const char* supervision_events_group = "dmlp.supervision";

/// Creates services for `sys`: a fresh registry, the supervision event group, `log`.
runtime_services make_services(caf::actor_system& sys, std::shared_ptr<spdlog::logger> log = {},
                               uint64_t seed = 1);

} // namespace dmlp::runtime
