// The HTTP front end (cpp-httplib + nlohmann-json) of the serving role: KServe V1 and the
// Open Inference Protocol V2 over the services it is given, plus /metrics.
//   POST /v1/models/{name}:predict        {"instances": […]} → {"predictions": [[p0..p9], …]}
//   GET  /v1/models/{name}                {"name": …, "ready": bool}
//   GET  /v2/health/live                  200 {"live": true}
//   GET  /v2/health/ready                 200 when every model has a ready replica, else 503
//   GET  /v2/models/{name}                model metadata (versions, inputs, outputs)
//   GET  /v2/models/{name}/ready          200 / 503 {"name": …, "ready": bool}
//   POST /v2/models/{name}/infer          typed tensors in, "probabilities" FP32 out
//   GET  /metrics                         Prometheus text (serving_metrics)
// Requests pass the rate limiter first (401 unknown token, 429 over the class limit), then
// the request parser (400/413 with a JSON error body), then go to the model's router (or
// shard router) with a finite timeout: 503 when no replica could take them, 504 on timeout.
// A body over max_body_bytes is a 413. Every error body is {"error": "<message>"}.
// Each HTTP worker thread blocks on its own scoped actor while its request is served.
// start()/stop() are not thread-safe with each other; request handling is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/serving/rate_limiter.hpp"
#include "actors/serving/request_parser.hpp"
#include "actors/serving/serving_metrics.hpp"
#include "messages/preprocessing.hpp"

namespace httplib {
class Server;
}

namespace dmlp::serving {

/// Options of the HTTP front end (YAML: http.*).
struct http_options {
  /// Address to bind. Default: "0.0.0.0".
  std::string host = "0.0.0.0";
  /// Port; 0 picks a free one (see start()). Default: 8080.
  uint16_t port = 8080;
  /// Largest accepted request body in bytes. Default: 16 MiB.
  uint64_t max_body_bytes = uint64_t{16} << 20;
  /// HTTP worker threads (one per open connection). Default: 64.
  uint32_t threads = 64;
  /// Longest time one inference may take end to end. Default: 60 s.
  std::chrono::milliseconds request_timeout{60000};
  /// Bounds on request contents. Default: see request_limits.
  request_limits limits;
};

/// One model as the front end sees it.
struct served_model {
  /// The name in URLs.
  std::string name;
  /// The current entry actor (router or shard router); called per request.
  std::function<caf::actor()> entry;
  /// The sample geometry (height, width, channels) of the model's inputs.
  preprocessing prep;
  /// Outputs per sample.
  uint32_t classes = 10;
  /// The model directory, for the versions listed in V2 metadata.
  std::string model_dir;
};

/// The HTTP server.
class http_frontend {
public:
  http_frontend(caf::actor_system& sys, http_options options,
                std::shared_ptr<serving_metrics> metrics, std::shared_ptr<rate_limiter> limiter);
  ~http_frontend();

  /// Adds a model before start().
  void add_model(served_model model);

  /// Binds and starts serving on a background thread; returns the bound port.
  caf::expected<uint16_t> start();

  /// Stops serving and joins the thread.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace dmlp::serving
