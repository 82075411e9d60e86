#include "actors/serving/serving_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace dmlp::serving {

struct serving_metrics::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("dmlp_serving_requests_total")
          .Help("HTTP inference and metadata requests by model, protocol and status code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("dmlp_serving_request_duration_seconds")
          .Help("Time from request parsed to answer ready, by model and protocol")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& limited =
      prometheus::BuildCounter()
          .Name("dmlp_serving_rate_limited_total")
          .Help("Requests refused with 429 by client class")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& batches =
      prometheus::BuildCounter()
          .Name("dmlp_serving_batches_total")
          .Help("Batches run by replicas, by flush reason")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& batch_size =
      prometheus::BuildHistogram()
          .Name("dmlp_serving_batch_size")
          .Help("Samples per batch run by replicas")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& batch_wait =
      prometheus::BuildHistogram()
          .Name("dmlp_serving_batch_queue_wait_seconds")
          .Help("Queue wait of the oldest request of each batch")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& queue_depth =
      prometheus::BuildGauge()
          .Name("dmlp_serving_queue_depth")
          .Help("Requests in flight to replicas or waiting for one")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& replicas = prometheus::BuildGauge()
                                                        .Name("dmlp_serving_replicas")
                                                        .Help("Replicas by state")
                                                        .Register(*registry);
  prometheus::Family<prometheus::Counter>& retries =
      prometheus::BuildCounter()
          .Name("dmlp_serving_retries_total")
          .Help("Dispatches repeated on another replica after a failure")
          .Register(*registry);
};

namespace {

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
  return b;
}

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

serving_metrics::serving_metrics() : impl_(std::make_unique<impl>()) {}

serving_metrics::~serving_metrics() = default;

void serving_metrics::record_request(const std::string& model, const std::string& protocol,
                                     int code, std::chrono::nanoseconds latency) {
  impl_->requests.Add({{"model", model}, {"protocol", protocol}, {"code", std::to_string(code)}})
      .Increment();
  impl_->latency.Add({{"model", model}, {"protocol", protocol}}, latency_buckets())
      .Observe(seconds(latency));
}

void serving_metrics::record_rate_limited(const std::string& client_class) {
  impl_->limited.Add({{"class", client_class}}).Increment();
}

void serving_metrics::record_batch(const std::string& model, size_t samples,
                                   const std::string& reason,
                                   std::chrono::nanoseconds oldest_wait) {
  static const prometheus::Histogram::BucketBoundaries sizes{1, 2, 4, 8, 16, 32, 64, 128, 256};
  impl_->batches.Add({{"model", model}, {"reason", reason}}).Increment();
  impl_->batch_size.Add({{"model", model}}, sizes).Observe(static_cast<double>(samples));
  impl_->batch_wait.Add({{"model", model}}, latency_buckets()).Observe(seconds(oldest_wait));
}

void serving_metrics::set_queue_depth(const std::string& model, double depth) {
  impl_->queue_depth.Add({{"model", model}}).Set(depth);
}

void serving_metrics::set_ready_replicas(const std::string& model, double count) {
  impl_->replicas.Add({{"model", model}, {"state", "ready"}}).Set(count);
}

void serving_metrics::record_retry(const std::string& model) {
  impl_->retries.Add({{"model", model}}).Increment();
}

std::string serving_metrics::serialize() const {
  return prometheus::TextSerializer{}.Serialize(impl_->registry->Collect());
}

std::shared_ptr<prometheus::Registry> serving_metrics::registry() const {
  return impl_->registry;
}

} // namespace dmlp::serving
