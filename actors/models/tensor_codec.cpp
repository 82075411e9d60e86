#include "actors/models/tensor_codec.hpp"

#include <cstring>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "TensorBundle data is little-endian; this codec copies host memory as is");

#include "messages/errors.hpp"

namespace dmlp::models {

namespace {

caf::expected<dtype> wire_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return dtype::float32;
    case torch::kFloat64:
      return dtype::float64;
    case torch::kInt64:
      return dtype::int64;
    case torch::kInt32:
      return dtype::int32;
    case torch::kUInt8:
      return dtype::uint8;
    case torch::kInt8:
      return dtype::int8;
    default:
      return caf::make_error(codec_errc::unknown_dtype, std::string{"torch type "} +
                                                            c10::toString(type) +
                                                            " has no TensorBundle dtype");
  }
}

torch::ScalarType torch_type(dtype type) {
  switch (type) {
    case dtype::float32:
      return torch::kFloat32;
    case dtype::float64:
      return torch::kFloat64;
    case dtype::int64:
      return torch::kInt64;
    case dtype::int32:
      return torch::kInt32;
    case dtype::uint8:
      return torch::kUInt8;
    case dtype::int8:
      return torch::kInt8;
  }
  return torch::kFloat32;
}

} // namespace

caf::expected<tensor> from_torch(const std::string& name, const torch::Tensor& value) {
  auto type = wire_type(value.scalar_type());
  if (!type)
    return type.error();
  auto contiguous = value.detach().to(torch::kCPU).contiguous();
  tensor out;
  out.name = name;
  out.type = *type;
  out.shape.assign(contiguous.sizes().begin(), contiguous.sizes().end());
  auto bytes = static_cast<size_t>(contiguous.numel()) * contiguous.element_size();
  out.data.resize(bytes);
  if (bytes > 0)
    std::memcpy(out.data.data(), contiguous.data_ptr(), bytes);
  return out;
}

torch::Tensor to_torch(const tensor& value) {
  auto result = torch::empty(value.shape, torch::TensorOptions().dtype(torch_type(value.type)));
  if (!value.data.empty())
    std::memcpy(result.data_ptr(), value.data.data(), value.data.size());
  return result;
}

caf::expected<tensor_bundle>
bundle_from_torch(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  tensor_bundle bundle;
  bundle.tensors.reserve(named.size());
  for (const auto& [name, value] : named) {
    auto converted = from_torch(name, value);
    if (!converted)
      return converted.error();
    bundle.tensors.push_back(std::move(*converted));
  }
  return bundle;
}

} // namespace dmlp::models
