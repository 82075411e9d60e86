// The pipeline's model server: one served model (actors/serving model_service: router,
// replica pool, autoscaler, all supervised) behind the HTTP front end (KServe V1 + V2,
// /metrics). publish() copies a trained model version into the served directory as its next
// version: the first publish starts the service, later ones are hot-swapped by the router
// (it polls the directory), and publish() returns once the router serves the new version —
// the book's "serve the first model, swap in a better one". Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/serving/http_frontend.hpp"
#include "actors/serving/model_service.hpp"
#include "runtime/services.hpp"

namespace dmlp::pipeline {

/// How the pipeline serves; the first publish's settings start the service.
struct serving_settings {
  /// Service, replica and autoscaler settings; model_dir is set by the host.
  serving::serving_options service;
  /// HTTP front end (host, port; port 0 picks a free one).
  serving::http_options http;
  /// Longest wait for replicas to be ready or a swap to land. Default: 60 s.
  std::chrono::milliseconds ready_timeout{60000};
};

/// What one publish did.
struct published_model {
  /// Base URL, e.g. "http://127.0.0.1:8080".
  std::string url;
  /// Served model name.
  std::string name;
  /// Version in the served directory that now answers.
  uint32_t version = 0;
  /// Whether this publish started the service (false: a hot swap or already served).
  bool started = false;
};

/// One served model for a pipeline run.
class serving_host {
public:
  /// Serves from `served_dir` (created; versions are copied into it).
  serving_host(caf::actor_system& sys, std::string served_dir, runtime::runtime_services services);
  ~serving_host();

  serving_host(const serving_host&) = delete;
  serving_host& operator=(const serving_host&) = delete;

  /// Serves version `version` of `model_dir`; publishing the version already served is a
  /// no-op that returns the current state. `settings` apply when this starts the service.
  caf::expected<published_model> publish(const std::string& model_dir, uint32_t version,
                                         const serving_settings& settings);

  /// The base URL; empty before the first publish.
  std::string url() const;

  /// The running service (null before the first publish).
  std::shared_ptr<serving::model_service> service() const;

  /// Kills one replica outright (chaos); its pool restarts it. Returns the killed path.
  caf::expected<std::string> kill_replica();

  /// Stops the front end and the service.
  void stop();

private:
  caf::expected<uint32_t> copy_version(const std::string& model_dir, uint32_t version);
  caf::error start_locked(const serving_settings& settings);
  caf::error await_version_locked(uint32_t version);

  caf::actor_system& sys_;
  std::string served_dir_;
  std::chrono::milliseconds ready_timeout_{60000};
  runtime::runtime_services services_;
  mutable std::mutex mtx_;
  std::shared_ptr<serving::serving_metrics> metrics_;
  std::shared_ptr<serving::model_service> service_;
  std::unique_ptr<serving::http_frontend> front_;
  std::string url_;
  std::string source_;
  uint32_t served_version_ = 0;
};

} // namespace dmlp::pipeline
