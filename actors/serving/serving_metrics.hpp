// The serving role's Prometheus metrics (prometheus-cpp): one registry per process, shared by
// the HTTP front end (requests, latencies, rate limiting), routers (replica counts, queue
// depth, retries) and replicas (batches: size, queue wait, flush reason). serialize() renders
// the text exposition format for GET /metrics. Every metric carries the served model's name
// as label "model". Thread-safe (prometheus-cpp metrics are atomic; family lookups lock).
//
//   dmlp_serving_requests_total{model,protocol,code}        counter
//   dmlp_serving_request_duration_seconds{model,protocol}   histogram
//   dmlp_serving_rate_limited_total{class}                  counter
//   dmlp_serving_batches_total{model,reason}                counter (reason:
//   full|preferred|timeout) dmlp_serving_batch_size{model}                          histogram
//   (samples per batch) dmlp_serving_batch_queue_wait_seconds{model}            histogram (oldest
//   request's wait) dmlp_serving_queue_depth{model}                         gauge (requests in
//   routers + replicas) dmlp_serving_replicas{model,state}                      gauge (state:
//   ready) dmlp_serving_retries_total{model}                       counter
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace dmlp::serving {

/// The role's metrics.
class serving_metrics {
public:
  serving_metrics();
  ~serving_metrics();

  /// Counts one answered HTTP request and its latency.
  void record_request(const std::string& model, const std::string& protocol, int code,
                      std::chrono::nanoseconds latency);

  /// Counts one request refused by the rate limiter.
  void record_rate_limited(const std::string& client_class);

  /// Records one batch a replica ran.
  void record_batch(const std::string& model, size_t samples, const std::string& reason,
                    std::chrono::nanoseconds oldest_wait);

  /// Sets the number of requests waiting in a router or queued in replicas.
  void set_queue_depth(const std::string& model, double depth);

  /// Sets the number of ready replicas.
  void set_ready_replicas(const std::string& model, double count);

  /// Counts one retried dispatch.
  void record_retry(const std::string& model);

  /// The Prometheus text exposition of every metric.
  std::string serialize() const;

  /// The underlying registry, for callers that add their own metrics.
  std::shared_ptr<prometheus::Registry> registry() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace dmlp::serving
