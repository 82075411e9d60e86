#include "actors/ingest/batch_encoder.hpp"

#include <cstring>

#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

caf::expected<encoded_bundle> encode_batch(const sample_set& set,
                                           const std::vector<uint64_t>& indices) {
  auto n = static_cast<int64_t>(indices.size());
  auto size = set.sample_size();
  tensor images{"images", dtype::float32, {n, set.channels, set.height, set.width}, {}};
  tensor labels{"labels", dtype::int64, {n}, {}};
  tensor positions{"indices", dtype::int64, {n}, {}};
  images.data.resize(indices.size() * size * sizeof(float));
  labels.data.resize(indices.size() * sizeof(int64_t));
  positions.data.resize(indices.size() * sizeof(int64_t));
  for (size_t i = 0; i < indices.size(); ++i) {
    auto index = indices[i];
    if (index >= set.count)
      return caf::make_error(ingest_errc::invalid_option, "sample " + std::to_string(index) +
                                                              " is not below " +
                                                              std::to_string(set.count));
    std::memcpy(images.data.data() + i * size * sizeof(float), set.pixels.data() + index * size,
                size * sizeof(float));
    auto label = static_cast<int64_t>(set.labels[index]);
    auto position = static_cast<int64_t>(index);
    std::memcpy(labels.data.data() + i * sizeof(int64_t), &label, sizeof(label));
    std::memcpy(positions.data.data() + i * sizeof(int64_t), &position, sizeof(position));
  }
  tensor_bundle bundle;
  bundle.tensors.push_back(std::move(images));
  bundle.tensors.push_back(std::move(labels));
  bundle.tensors.push_back(std::move(positions));
  return encode(bundle);
}

} // namespace dmlp::ingest
