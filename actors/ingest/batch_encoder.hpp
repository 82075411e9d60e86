// Cuts batches out of a preprocessed split: gathers the samples at the given indices into one
// TensorBundle ("images" float32 [n, channels, height, width], "labels" int64 [n], "indices"
// int64 [n]) and encodes it to the bytes that cross the wire (encoded_bundle). Pure function;
// thread-safe (reads the shared, immutable sample_set).
#pragma once

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "actors/ingest/sample_set.hpp"
#include "messages/tensor_bundle.hpp"

namespace dmlp::ingest {

/// Encodes the samples of `set` at `indices` (each below set.count) as one batch.
caf::expected<encoded_bundle> encode_batch(const sample_set& set,
                                           const std::vector<uint64_t>& indices);

} // namespace dmlp::ingest
