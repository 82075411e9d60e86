// The sharded service's front: an actor over K shards (any actors that answer
// (infer_atom, inference_request), usually one router per shard). A request with a key goes
// whole to the shard owning the key on a consistent_hash_ring; a keyless request of several
// samples is split into K contiguous sub-requests, sent to the shards in parallel and merged
// back in order (scatter-gather), so the answer equals the unsharded one; any failed part
// fails the request. (router_stats_atom) sums the shards' stats, except ready_replicas, which
// is the smallest shard's (the service is ready when every shard is).
#pragma once

#include <chrono>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace dmlp::serving {

/// Options of a shard router (YAML: serving.shards.*).
struct shard_options {
  /// Timeout of one sub-request. Default: 60 s.
  std::chrono::milliseconds timeout{60000};
  /// Keyless requests with fewer samples go whole to one shard (round robin). Default: 2.
  uint32_t min_split = 2;
};

/// Spawns a shard router over `shards` (shard i is named "shard-i" on the ring).
caf::actor spawn_shard_router(caf::actor_system& sys, std::vector<caf::actor> shards,
                              shard_options options = {});

} // namespace dmlp::serving
