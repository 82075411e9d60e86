// The router of a replicated service: one actor in front of N replicas. It accepts
// (infer_atom, inference_request) and sends each request to one ready replica chosen by its
// balancing_policy; replicas join by announcing themselves ready (replica_up_atom) and leave
// when they die (the router monitors them). A request whose replica fails or dies in flight
// is sent to another replica (at most max_attempts dispatches), so a client sees no failure
// while any replica lives; while no replica is ready, requests wait (at most cold_start_wait)
// instead of failing — this is also how scale-from-zero holds requests.
//
// Versions: the router polls the model directory; when a newer version appears it asks every
// replica to load it (they keep serving the old one meanwhile), then switches new requests to
// it and tells the replicas to drop the old one once drained: a hot swap with no failed
// request. With canary_percent > 0 the new version first gets that share of the traffic for
// canary_duration, then is promoted. A version that fails to load is skipped and logged.
// Answers (router_stats_atom) with router_stats. Spawned by model_service.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/serving/balancing_policy.hpp"
#include "actors/serving/serving_metrics.hpp"

namespace dmlp::serving {

/// Options of a router (YAML: serving.router.*).
struct router_options {
  /// The model directory, polled for new versions. Default: empty (required).
  std::string model_dir;
  /// The served model's name, the metrics' "model" label. Default: empty.
  std::string model_name;
  /// How a replica is chosen. Default: least_outstanding.
  balancing_kind balancing = balancing_kind::least_outstanding;
  /// Timeout of one dispatch to a replica. Default: 30 s.
  std::chrono::milliseconds replica_timeout{30000};
  /// Most dispatches of one request (first try plus retries). Default: 5.
  uint32_t max_attempts = 5;
  /// Longest wait for a ready replica before a request fails with no_replica. Default: 30 s.
  std::chrono::milliseconds cold_start_wait{30000};
  /// How often the model directory is checked for a newer version; 0 = never. Default: 1 s.
  std::chrono::milliseconds version_poll{1000};
  /// Share of traffic (0–100) a new version gets before promotion; 0 = swap at once. Default: 0.
  uint32_t canary_percent = 0;
  /// How long a canary runs before it is promoted. Default: 60 s.
  std::chrono::milliseconds canary_duration{60000};
  /// Timeout of a replica's load of a new version. Default: 120 s.
  std::chrono::milliseconds load_timeout{120000};
};

/// Spawns a router.
caf::actor spawn_router(caf::actor_system& sys, router_options options,
                        std::shared_ptr<serving_metrics> metrics);

} // namespace dmlp::serving
