#include "messages/tensor_bundle.hpp"

#include <cstring>
#include <limits>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "messages/errors.hpp"
#include "tensor_bundle.capnp.h"

namespace dmlp {

size_t element_size(dtype type) {
  switch (type) {
    case dtype::float64:
    case dtype::int64:
      return 8;
    case dtype::float32:
    case dtype::int32:
      return 4;
    case dtype::uint8:
    case dtype::int8:
      return 1;
  }
  return 0;
}

std::string to_string(dtype type) {
  switch (type) {
    case dtype::float32:
      return "float32";
    case dtype::float64:
      return "float64";
    case dtype::int64:
      return "int64";
    case dtype::int32:
      return "int32";
    case dtype::uint8:
      return "uint8";
    case dtype::int8:
      return "int8";
  }
  return "dtype(" + std::to_string(static_cast<int>(type)) + ")";
}

int64_t tensor::numel() const {
  int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

namespace {

// Byte length implied by shape and type, or an error when a dimension is negative or the
// product overflows.
caf::expected<uint64_t> implied_bytes(const std::vector<int64_t>& shape, dtype type) {
  uint64_t count = 1;
  for (auto d : shape) {
    if (d < 0)
      return caf::make_error(codec_errc::shape_mismatch, "negative dimension " + std::to_string(d));
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      return caf::make_error(codec_errc::oversized, "shape product overflows");
    count *= static_cast<uint64_t>(d);
  }
  auto size = element_size(type);
  if (count > std::numeric_limits<uint64_t>::max() / size)
    return caf::make_error(codec_errc::oversized, "tensor byte size overflows");
  return count * size;
}

bool valid_dtype(uint16_t raw) {
  return raw <= static_cast<uint16_t>(dtype::int8);
}

} // namespace

caf::expected<encoded_bundle> encode(const tensor_bundle& bundle) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<TensorBundle>();
  root.setFormatVersion(tensor_bundle_format_version);
  auto list = root.initTensors(static_cast<unsigned>(bundle.tensors.size()));
  for (size_t i = 0; i < bundle.tensors.size(); ++i) {
    const auto& t = bundle.tensors[i];
    auto expected_size = implied_bytes(t.shape, t.type);
    if (!expected_size)
      return expected_size.error();
    if (*expected_size != t.data.size())
      return caf::make_error(codec_errc::shape_mismatch,
                             "tensor '" + t.name + "' has " + std::to_string(t.data.size()) +
                                 " bytes, its shape needs " + std::to_string(*expected_size));
    auto out = list[static_cast<unsigned>(i)];
    out.setName(t.name);
    out.setDtype(static_cast<DType>(t.type));
    auto shape = out.initShape(static_cast<unsigned>(t.shape.size()));
    for (size_t d = 0; d < t.shape.size(); ++d)
      shape.set(static_cast<unsigned>(d), t.shape[d]);
    out.setData(kj::ArrayPtr<const kj::byte>(t.data.data(), t.data.size()));
  }
  auto flat = capnp::messageToFlatArray(message);
  auto bytes = flat.asBytes();
  return encoded_bundle{std::vector<uint8_t>(bytes.begin(), bytes.end())};
}

caf::expected<tensor_bundle> decode(const encoded_bundle& in, const decode_limits& limits) {
  const auto& bytes = in.bytes;
  if (bytes.size() > limits.max_bytes)
    return caf::make_error(codec_errc::oversized, "bundle of " + std::to_string(bytes.size()) +
                                                      " bytes exceeds the limit");
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return caf::make_error(codec_errc::truncated, "bundle length " + std::to_string(bytes.size()) +
                                                      " is not a whole number of words");
  // Cap'n Proto reads words in place; copy into word-aligned storage.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  tensor_bundle result;
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = bytes.size() / sizeof(capnp::word) + 1024;
    capnp::FlatArrayMessageReader reader(words.asPtr(), options);
    auto root = reader.getRoot<TensorBundle>();
    if (root.getFormatVersion() != tensor_bundle_format_version)
      return caf::make_error(codec_errc::unsupported_version,
                             "TensorBundle version " + std::to_string(root.getFormatVersion()));
    auto list = root.getTensors();
    if (list.size() > limits.max_tensors)
      return caf::make_error(codec_errc::oversized, "too many tensors");
    result.tensors.reserve(list.size());
    for (auto t : list) {
      auto raw_type = static_cast<uint16_t>(t.getDtype());
      if (!valid_dtype(raw_type))
        return caf::make_error(codec_errc::unknown_dtype, "dtype code " + std::to_string(raw_type));
      tensor out;
      out.name = t.getName();
      out.type = static_cast<dtype>(raw_type);
      auto shape = t.getShape();
      if (shape.size() > limits.max_rank)
        return caf::make_error(codec_errc::oversized,
                               "tensor rank " + std::to_string(shape.size()));
      for (auto d : shape)
        out.shape.push_back(d);
      auto data = t.getData();
      auto expected_size = implied_bytes(out.shape, out.type);
      if (!expected_size)
        return expected_size.error();
      if (*expected_size != data.size())
        return caf::make_error(codec_errc::shape_mismatch,
                               "tensor '" + out.name + "' has " + std::to_string(data.size()) +
                                   " bytes, its shape needs " + std::to_string(*expected_size));
      out.data.assign(data.begin(), data.end());
      result.tensors.push_back(std::move(out));
    }
  } catch (const kj::Exception& e) {
    return caf::make_error(codec_errc::malformed, std::string(e.getDescription().cStr()));
  }
  return result;
}

} // namespace dmlp
