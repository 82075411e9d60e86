// The serving protocol (actors/serving): what the HTTP front end, routers, shard routers,
// replicas and the autoscaler send each other. Inputs travel as raw pixel intensities (floats
// in [0, 255]); the replica applies the preprocessing record of the model version that runs
// them, exactly as training did. Outputs are class probabilities.
// Everything here is a plain value with a CAF inspect overload, listed in type_ids.hpp.
//
//   router / shard router / replica:
//     (infer_atom, inference_request)          -> inference_result
//   replica -> router:
//     (replica_up_atom, caf::actor, replica_info)   the replica loaded and warmed up
//   router -> replica:
//     (load_version_atom, uint32_t version)    -> replica_info   (load another version)
//     (unload_version_atom, uint32_t version)                    (drop it once drained)
//   anyone -> router:
//     (router_stats_atom)                      -> router_stats
//     (await_ready_atom, uint32_t n)           -> router_stats   (once n replicas are ready)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace dmlp {

/// One inference call: `samples` raw samples, row-major, samples × sample size floats.
struct inference_request {
  /// Routing key (consistent hashing, shards); empty when the caller has none.
  std::string key;
  /// Version to run; 0 lets the router choose (stable, or canary by percentage).
  uint32_t version = 0;
  /// Number of samples in `inputs`.
  uint32_t samples = 0;
  /// Raw pixel intensities in [0, 255].
  std::vector<float> inputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inference_request& x) {
  return f(caf::meta::type_name("inference_request"), x.key, x.version, x.samples, x.inputs);
}

/// The answer to one inference_request.
struct inference_result {
  /// Number of samples answered.
  uint32_t samples = 0;
  /// Probabilities per sample.
  uint32_t classes = 0;
  /// samples × classes probabilities, in request order.
  std::vector<float> outputs;
  /// The model version that computed them.
  uint32_t version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inference_result& x) {
  return f(caf::meta::type_name("inference_result"), x.samples, x.classes, x.outputs, x.version);
}

/// What a replica reports when it becomes ready or loads a version.
struct replica_info {
  /// The replica's id in its pool, e.g. "replica-2".
  std::string id;
  /// Loaded versions, ascending.
  std::vector<uint32_t> versions;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, replica_info& x) {
  return f(caf::meta::type_name("replica_info"), x.id, x.versions);
}

/// A router's view of its service, for readiness checks and the autoscaler.
struct router_stats {
  /// Replicas that are ready for traffic.
  uint32_t ready_replicas = 0;
  /// Requests sent to replicas and not yet answered.
  uint32_t in_flight = 0;
  /// Requests held because no replica is ready (scale from zero, restarts).
  uint32_t waiting = 0;
  /// The version most traffic goes to; 0 before the first replica is ready.
  uint32_t stable_version = 0;
  /// The canary version, 0 when none.
  uint32_t canary_version = 0;
  /// Requests answered successfully so far.
  uint64_t served = 0;
  /// Dispatches repeated on another replica after a failure.
  uint64_t retries = 0;
  /// Requests that failed (no replica in time, or every attempt failed).
  uint64_t failed = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
  return f(caf::meta::type_name("router_stats"), x.ready_replicas, x.in_flight, x.waiting,
           x.stable_version, x.canary_version, x.served, x.retries, x.failed);
}

} // namespace dmlp
