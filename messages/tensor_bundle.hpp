// The C++ value side of the TensorBundle wire format (tensor_bundle.capnp): named tensors as
// plain structs that actors pass around, and the codec between them and bytes. Actors never
// touch Cap'n Proto builders; they call encode()/decode() at the edge. The torch side of the
// conversion lives in actors/models/tensor_codec.hpp, so nothing here includes torch.
// Decoding validates every field and bounds every allocation by decode_limits. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp {

/// Element types a tensor may carry; values match the DType enum of the schema.
enum class dtype : uint8_t { float32 = 0, float64, int64, int32, uint8, int8 };

/// Bytes per element of `type`.
size_t element_size(dtype type);

/// Name of the element type, e.g. "float32".
std::string to_string(dtype type);

/// One named tensor: shape and row-major little-endian bytes.
struct tensor {
  /// Name, e.g. the parameter's path "conv1.weight".
  std::string name;
  /// Element type.
  dtype type = dtype::float32;
  /// Extent of each dimension; empty for a scalar.
  std::vector<int64_t> shape;
  /// shape-product × element_size(type) bytes.
  std::vector<uint8_t> data;

  /// Number of elements the shape describes.
  int64_t numel() const;
};

/// An ordered list of named tensors: one gradient set, one parameter shard, one batch.
struct tensor_bundle {
  /// The tensors in the order they were added.
  std::vector<tensor> tensors;
};

/// Encoded TensorBundle bytes as they cross the wire. CAF copies a byte vector with memcpy
/// (~1.5–2 GB/s on loopback) where a vector<float> goes element by element (~150 MB/s).
struct encoded_bundle {
  /// A Cap'n Proto TensorBundle message, unpacked, as produced by encode().
  std::vector<uint8_t> bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, encoded_bundle& x) {
  return f(caf::meta::type_name("encoded_bundle"), x.bytes);
}

/// Bounds that decode() enforces before allocating.
struct decode_limits {
  /// Largest accepted input, in bytes. Default: 2 GiB.
  uint64_t max_bytes = uint64_t{2} << 30;
  /// Largest accepted number of tensors in one bundle. Default: 1,000,000.
  uint64_t max_tensors = 1'000'000;
  /// Largest accepted number of dimensions of one tensor. Default: 16.
  uint64_t max_rank = 16;
};

/// The TensorBundle format version this build writes and reads.
constexpr uint16_t tensor_bundle_format_version = 1;

/// Serializes `bundle`. Fails with codec_errc::shape_mismatch when a tensor's data length
/// disagrees with its shape and type.
caf::expected<encoded_bundle> encode(const tensor_bundle& bundle);

/// Parses and validates bytes from a peer or a file.
caf::expected<tensor_bundle> decode(const encoded_bundle& bytes, const decode_limits& limits = {});

} // namespace dmlp
