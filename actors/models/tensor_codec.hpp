// The torch side of the TensorBundle format: converts between torch::Tensor and the
// plain dmlp::tensor values of messages/tensor_bundle.hpp. Lives in actors/models/ because it
// is the one place outside the computing files that includes torch; callers include this
// header only where they already compute with torch. Conversion copies (tensors cross actor
// boundaries as bytes). Thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <torch/types.h>

#include "messages/tensor_bundle.hpp"

namespace dmlp::models {

/// Copies a tensor (any device, contiguous or not) into a named dmlp::tensor on the CPU.
/// Fails with codec_errc::unknown_dtype for element types the wire format lacks.
caf::expected<tensor> from_torch(const std::string& name, const torch::Tensor& value);

/// Copies a dmlp::tensor into a new CPU torch::Tensor of the same type and shape.
torch::Tensor to_torch(const tensor& value);

/// Encodes named tensors (e.g. a module's named_parameters()) as one bundle.
caf::expected<tensor_bundle>
bundle_from_torch(const std::vector<std::pair<std::string, torch::Tensor>>& named);

} // namespace dmlp::models
