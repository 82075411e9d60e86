// The in-memory form of one dataset split after preprocessing: float32 pixels (row-major,
// sample × channels × height × width) and one uint8 class label per sample. This is what the
// memory cache holds and what batches are cut from. A plain value; once built it is shared
// read-only (shared_ptr<const sample_set>) between the coordinator's instances, so concurrent
// readers are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dmlp::ingest {

/// Preprocessed samples of one split.
struct sample_set {
  /// Number of samples.
  uint64_t count = 0;
  /// Image rows.
  uint32_t height = 0;
  /// Image columns.
  uint32_t width = 0;
  /// Channels per pixel.
  uint32_t channels = 1;
  /// count × sample_size() preprocessed values.
  std::vector<float> pixels;
  /// count class labels.
  std::vector<uint8_t> labels;

  /// Values per sample.
  size_t sample_size() const { return size_t{height} * width * channels; }
  /// Memory held by pixels and labels, in bytes.
  size_t bytes() const { return pixels.size() * sizeof(float) + labels.size(); }
};

/// Both splits of a dataset.
struct dataset_content {
  /// Training samples.
  sample_set train;
  /// Test samples.
  sample_set test;
};

} // namespace dmlp::ingest
