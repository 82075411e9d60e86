// One served model as a supervised actor tree (runtime/supervisor.hpp):
//   serving/<name>            rest_for_one
//     router                  the router (router.hpp)
//     replicas                simple_one_for_one pool of replicas (replica.hpp)
//     autoscaler              sizes the pool (autoscaler.hpp)
// A replica that dies is restarted by its pool and rejoins the router once loaded and warm; a
// router that dies takes the pool and autoscaler down with it and all restart fresh.
// start() validates the model directory first (the newest version must load), so a bad
// directory is a clear error before anything is spawned. serving_options maps 1:1 to the
// `serving:` section of a YAML config (read_serving_options). Thread-safe accessors.
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/serving/autoscale_policy.hpp"
#include "actors/serving/replica.hpp"
#include "actors/serving/router.hpp"
#include "actors/serving/serving_metrics.hpp"
#include "messages/preprocessing.hpp"
#include "messages/serving.hpp"
#include "runtime/config.hpp"
#include "runtime/services.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::serving {

/// Everything one served model needs (YAML: the `serving:` section).
struct serving_options {
  /// The model directory with numbered versions. Default: empty (required; YAML model_dir).
  std::string model_dir;
  /// The served name; empty: the newest version's model.json name, else its architecture.
  std::string name;
  /// Replicas started at first. Default: 1.
  uint32_t replicas = 1;
  /// Scaling between autoscale.min_replicas and max_replicas (YAML autoscale.*); start()
  /// widens [min, max] to include `replicas`. Default: min = max = replicas.
  autoscale_options autoscale{0, 0};
  /// Replica options (YAML batching.*, threads, max_chunk, warm_up_batch); model_dir and
  /// model_name are filled in by start().
  replica_options replica;
  /// Router options (YAML router.*); model_dir and model_name are filled in by start().
  router_options router;
  /// Supervision of the tree (YAML supervision.*, see runtime/config.hpp). Default: 10
  /// restarts in 10 s.
  runtime::supervisor_spec supervision =
      runtime::supervisor_spec{}.with_intensity(10, std::chrono::milliseconds{10000});
};

/// Reads a `serving:` mapping into `options`, keeping defaults for absent keys.
caf::error read_serving_options(runtime::config_reader& reader, serving_options& options);

/// A running served model.
class model_service {
public:
  /// Validates the model directory and starts the tree.
  static caf::expected<std::shared_ptr<model_service>>
  start(caf::actor_system& sys, serving_options options, runtime::runtime_services services,
        std::shared_ptr<serving_metrics> metrics);

  ~model_service();

  /// The served name.
  const std::string& name() const { return options_.name; }

  /// The geometry and preprocessing of the newest version at start.
  const preprocessing& prep() const { return prep_; }

  /// Outputs per sample.
  uint32_t classes() const { return classes_; }

  /// The current router instance (changes when the router restarts); invalid when stopped.
  caf::actor router() const;

  /// The tree's root supervisor.
  caf::actor supervisor() const { return root_; }

  /// The supervision path of the tree, "serving/<name>".
  const std::string& path() const { return path_; }

  /// The options in force.
  const serving_options& options() const { return options_; }

  /// Waits (at most `timeout`) until the tree runs and `replicas` replicas are ready; returns
  /// the router's stats then. Synchronises on messages, never on sleeps.
  caf::expected<router_stats> await_ready(uint32_t replicas, std::chrono::milliseconds timeout);

  /// Stops the tree (children in reverse order).
  void stop();

private:
  model_service() = default;

  caf::actor_system* sys_ = nullptr;
  serving_options options_;
  runtime::runtime_services services_;
  caf::actor root_;
  std::string path_;
  preprocessing prep_;
  uint32_t classes_ = 10;
};

} // namespace dmlp::serving
