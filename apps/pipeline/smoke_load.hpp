// A short load against a served model over real HTTP: `concurrency` client threads, each with
// its own keep-alive connection, send `requests` KServe V1 (or Open Inference Protocol V2)
// requests of one test image each, and the answers are checked against the labels. Used by the
// pipeline's last step to report the endpoint's throughput and latency. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dmlp::pipeline {

/// What to send.
struct smoke_options {
  /// Base URL, e.g. "http://127.0.0.1:8080".
  std::string url;
  /// Served model name.
  std::string model;
  /// Requests in total. Default: 1000.
  uint32_t requests = 1000;
  /// Client threads. Default: 4.
  uint32_t concurrency = 4;
  /// "v1" or "v2". Default: "v1".
  std::string protocol = "v1";
  /// Called once, by the client about to send request number `hook_at` (chaos). Default: none.
  std::function<void()> hook;
  /// Request number that triggers `hook`. Default: 0.
  uint32_t hook_at = 0;
};

/// Test images to send: `count` images of `sample_size` raw pixels (0..255) and their labels.
struct smoke_images {
  /// Pixels, count × sample_size.
  std::vector<uint8_t> pixels;
  /// Labels, count.
  std::vector<uint8_t> labels;
  /// Pixels per image.
  size_t sample_size = 784;
};

/// What the load measured.
struct smoke_result {
  /// Requests sent.
  uint64_t requests = 0;
  /// Requests that failed (transport error or non-200 answer).
  uint64_t errors = 0;
  /// Answers whose top class equals the label, over the successful ones.
  double accuracy = 0;
  /// Successful requests per second of wall time.
  double requests_per_s = 0;
  /// Latency percentiles of successful requests, ms.
  double p50_ms = 0;
  double p99_ms = 0;
  /// Wall time, s.
  double seconds = 0;
  /// The first error seen, for the message; empty when none.
  std::string first_error;
};

/// Runs the load; an unusable URL or empty image set is an error, failed requests are counted.
caf::expected<smoke_result> run_smoke_load(const smoke_options& options,
                                           const smoke_images& images);

} // namespace dmlp::pipeline
