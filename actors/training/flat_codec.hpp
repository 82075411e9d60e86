// Flat float buffers ↔ TensorBundle bytes for the training protocol (messages/training.hpp):
// ring chunks and PS slices ("values"), replica states ("values", "opt_m", "opt_v", "opt_t"),
// and parameter-server checkpoints. Decoding validates names, types and sizes and returns
// training_errc::bad_bundle instead of trusting the bytes. The "values" bundle, the ring's and
// the parameter servers' hot path, is written and read without the generic tensor_bundle
// detour: one copy in (floats into the message) and none out (visit_values reads the floats in
// place). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/tensor_bundle.hpp"

namespace dmlp::training {

/// A replica's or shard's full state.
struct flat_state {
  /// Parameters then buffers.
  std::vector<float> values;
  /// Optimizer first moment / velocity.
  std::vector<float> m;
  /// Optimizer second moment (empty for SGD).
  std::vector<float> v;
  /// Optimizer steps.
  int64_t t = 0;
};

/// Bundle with one float32 tensor "values" holding `n` floats from `data`.
caf::expected<encoded_bundle> encode_values(const float* data, size_t n);

/// Decodes a "values" bundle; `expected_size` (unless 0) must match.
caf::expected<std::vector<float>> decode_values(const encoded_bundle& bytes,
                                                size_t expected_size = 0);

/// Validates a "values" bundle like decode_values and calls `use` with its floats read in
/// place (no copy when the bytes are word-aligned, as vector storage is); the pointer is valid
/// only during the call.
caf::error visit_values(const encoded_bundle& bytes, size_t expected_size,
                        const std::function<void(const float*, size_t)>& use);

/// Encodes a full state.
caf::expected<encoded_bundle> encode_state(const flat_state& state);

/// Decodes a full state; "values" must hold `expected_size` floats (unless 0). The caller
/// checks the moments' sizes against its optimizer.
caf::expected<flat_state> decode_state(const encoded_bundle& bytes, size_t expected_size = 0);

} // namespace dmlp::training
