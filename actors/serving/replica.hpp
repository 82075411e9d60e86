// The model server replica: an actor on its own thread (detached; inference blocks) that loads
// the newest loadable version of a model directory, warms it up, and only then announces
// itself to its router with (replica_up_atom, self, replica_info). It answers (infer_atom,
// inference_request) through a dynamic batcher per loaded version (batching_policy): queued
// requests of one version become one forward pass, and every batch's size, oldest queue wait
// and flush reason go to the metrics. The replica applies the preprocessing record of the
// version it runs to the request's raw pixels. A router may ask it to load another version
// (hot swap, canary) and to unload one once drained. A load failure stops the replica with
// serving_errc::load_failed (its supervisor decides); libtorch errors during a batch fail
// that batch's requests with model_errc::compute_failed and the replica keeps serving.
// Spawned by the replica pool's start function (model_service.hpp).
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/models/model_runner.hpp"
#include "actors/serving/batching_policy.hpp"
#include "actors/serving/serving_metrics.hpp"

namespace dmlp::serving {

/// Options of one replica (YAML: serving.batching.*, serving.threads, serving.warm_up_batch).
struct replica_options {
  /// The model directory (numbered versions). Default: empty (required).
  std::string model_dir;
  /// The served model's name, the metrics' "model" label. Default: empty.
  std::string model_name;
  /// Dynamic batching. Default: see batching_options.
  batching_options batching;
  /// libtorch threads and forward chunk size. Default: see runner_options.
  models::runner_options runner;
  /// Samples in the warm-up pass before the replica reports ready. Default: 8.
  uint32_t warm_up_batch = 8;
};

/// Spawns a replica with id `id` that reports to `router`.
caf::actor spawn_replica(caf::actor_system& sys, replica_options options, std::string id,
                         caf::actor router, std::shared_ptr<serving_metrics> metrics);

} // namespace dmlp::serving
