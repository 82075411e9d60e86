// One model replica behind a torch-free header: the trainer actor's computing part. It owns a
// classifier module from the model registry and exposes it as flat float buffers: parameters
// (params()), floating-point buffers such as batch-norm running statistics (buffers()), and the
// exchange vector a step produces for the strategy:
//   [ gradient × samples (params()) | buffers × samples (buffers()) | samples | loss × samples ]
// so sums over replicas divide by the summed sample count into sample-weighted means. Applying
// an update writes flat values back into the module. libtorch errors come back as
// training_errc::compute_failed, never as exceptions. Not thread-safe: one per trainer.
// libtorch's intra-op thread count is process-wide; create() sets it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/preprocessing.hpp"
#include "messages/tensor_bundle.hpp"

namespace dmlp::training {

/// What one step computed.
struct step_output {
  /// Samples in the batch.
  uint32_t samples = 0;
  /// Mean loss over the batch.
  double loss = 0;
};

/// A model replica.
class replica {
public:
  /// A fresh module of `architecture`, initialised from `seed`; sets `threads` intra-op threads.
  static caf::expected<std::unique_ptr<replica>> create(const std::string& architecture,
                                                        uint64_t seed, uint32_t threads);
  ~replica();

  /// Element counts of the parameter tensors, in order (for bucketing).
  const std::vector<size_t>& tensor_sizes() const;

  /// Number of parameter values.
  size_t param_count() const;

  /// Number of floating-point buffer values.
  size_t buffer_count() const;

  /// Length of the exchange vector: params + buffers + 2.
  size_t exchange_size() const { return param_count() + buffer_count() + 2; }

  /// Runs forward and backward on an ingest batch ("images", "labels") and fills `exchange`.
  caf::expected<step_output> compute(const encoded_bundle& batch, std::vector<float>& exchange);

  /// Copies the parameters then the buffers into `out` (param_count + buffer_count values).
  void read_values(float* out);

  /// Overwrites the parameters then the buffers from `values`.
  void write_values(const float* values);

  /// Fraction of `count` samples classified correctly (images: count × sample floats).
  caf::expected<double> evaluate(const float* images, const uint8_t* labels, size_t count,
                                 uint32_t channels, uint32_t height, uint32_t width);

  /// Saves the module as the next version of `dir` (actors/models artifact) with its
  /// preprocessing record and `metrics`; returns the version.
  caf::expected<uint32_t> save(const std::string& dir, const std::string& architecture,
                               const preprocessing& prep,
                               const std::map<std::string, double>& metrics);

private:
  struct impl;
  explicit replica(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

} // namespace dmlp::training
