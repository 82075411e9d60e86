// Parsing and formatting of the HTTP inference protocols, as pure functions (no actor, no
// network): the HTTP front end and the libFuzzer target call them. Parsing validates
// everything and turns it into raw pixel intensities (floats in [0, 255]) of the geometry the
// model's preprocessing record declares, or into a 4xx status with a message for the JSON
// error body. The replica that runs a request applies the preprocessing record of the version
// it runs, so every version gets exactly the transform it was trained with.
//
// Inputs, per sample (H × W from the preprocessing record, 28 × 28 for Fashion-MNIST):
//   - a flat array of H·W numbers, an H × W array of arrays, or a 1 × H × W array;
//   - {"b64": "<base64 PNG/JPEG>"} (any size; converted to grayscale and resized to H × W).
// Numbers are raw pixel intensities in [0, 255], like the data set's bytes.
//   KServe V1  {"instances": [<sample>, …]}
//   OIP V2     {"id"?: s, "inputs": [{"name": s, "shape": [N, …], "datatype": t, "data": […]}]}
//              shape [N, H·W], [N, H, W] or [N, 1, H, W] with t one of UINT8, INT8, INT16,
//              INT32, INT64, FP16, FP32, FP64 (integer types need integer values); or
//              t = BYTES with shape [N] and N base64 image strings.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/preprocessing.hpp"
#include "messages/serving.hpp"

namespace dmlp::serving {

/// Bounds a request must stay within.
struct request_limits {
  /// Most samples in one request. Default: 10,000.
  uint32_t max_samples = 10000;
  /// Deepest JSON nesting accepted. Default: 16.
  uint32_t max_depth = 16;
  /// Largest decoded image, in pixels. Default: 4096 × 4096.
  uint64_t max_image_pixels = 4096ull * 4096ull;
};

/// The outcome of parsing one request body.
struct parse_result {
  /// 200 when parsed; otherwise the HTTP status to answer (400, 413, 422).
  int status = 200;
  /// What is wrong, for the error body; empty when parsed.
  std::string error;
  /// The request id (V2 "id"), echoed in the answer.
  std::string id;
  /// Number of samples.
  uint32_t samples = 0;
  /// samples × sample size raw pixel intensities.
  std::vector<float> inputs;

  /// Whether parsing succeeded.
  bool ok() const { return status == 200; }
};

/// Parses a KServe V1 predict body; `prep` gives the sample geometry.
parse_result parse_v1_request(const std::string& body, const preprocessing& prep,
                              const request_limits& limits = {});

/// Parses an Open Inference Protocol V2 infer body.
parse_result parse_v2_request(const std::string& body, const preprocessing& prep,
                              const request_limits& limits = {});

/// {"predictions": [[p0, …, p9], …]}.
std::string format_v1_response(const inference_result& result);

/// {"model_name": …, "model_version": …, "id": …, "outputs": [{"name": "probabilities",
/// "datatype": "FP32", "shape": [N, classes], "data": […]}]}.
std::string format_v2_response(const std::string& model, const std::string& id,
                               const inference_result& result);

/// {"error": message}.
std::string format_error(const std::string& message);

} // namespace dmlp::serving
