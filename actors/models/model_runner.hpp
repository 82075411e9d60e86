// Inference on one model version, behind a torch-free header: serving's replica actors own a
// model_runner per loaded version and hand it float batches. The runner applies no
// preprocessing (inputs are model inputs already, see preprocessing()) and returns softmax
// probabilities. libtorch errors come back as model_errc::compute_failed, never as exceptions.
// Not thread-safe: one runner per owning actor. Intra-op threads are process-wide in libtorch;
// load() sets them to options.threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/models/model_artifact.hpp"

namespace dmlp::models {

/// How a runner computes.
struct runner_options {
  /// libtorch intra-op threads (process-wide). Default: 1.
  uint32_t threads = 1;
  /// Largest batch handed to one forward pass; bigger inputs run in chunks. Default: 256.
  uint32_t max_chunk = 256;
};

/// One loaded, warmed-up model version.
class model_runner {
public:
  /// Loads version `version` of `dir` (see model_store.hpp for the validation).
  static caf::expected<model_runner> load(const std::string& dir, uint32_t version,
                                          runner_options options = {});

  /// Runs one forward pass over `batch` zero-valued samples so the first request is not slow.
  caf::error warm_up(size_t batch);

  /// Class probabilities, samples × classes() floats, of `samples` model inputs.
  caf::expected<std::vector<float>> predict(const float* inputs, size_t samples);

  /// Floats per sample (channels × height × width).
  size_t sample_size() const;

  /// Outputs per sample.
  uint32_t classes() const;

  /// The version's model.json.
  const model_metadata& metadata() const;

  /// The version's preprocessing record.
  const preprocessing& prep() const;

private:
  struct impl;
  explicit model_runner(std::shared_ptr<impl> state);
  std::shared_ptr<impl> impl_;
};

} // namespace dmlp::models
