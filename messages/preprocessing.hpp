// The preprocessing record: the transform from raw image bytes to model input, declared once
// by ingest and stored with every trained model, so serving applies exactly the transform the
// model was trained with (the book's serving skipped the /255 and served a mismatched model).
// A plain value with a JSON form (model directories keep it as preprocessing.json) and a CAF
// inspect overload. Thread-safe (immutable use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp {

/// raw uint8 pixel → float: x = raw × scale; then (x − mean) / stddev when standardize.
struct preprocessing {
  /// Version of this record's meaning; readers refuse newer ones. Default: 1.
  uint32_t version = 1;
  /// Image height in pixels. Default: 28 (Fashion-MNIST).
  uint32_t height = 28;
  /// Image width in pixels. Default: 28.
  uint32_t width = 28;
  /// Channels per pixel. Default: 1 (grayscale).
  uint32_t channels = 1;
  /// Multiplier applied to each raw byte. Default: 1/255, mapping to [0, 1].
  double scale = 1.0 / 255.0;
  /// Whether to standardise after scaling. Default: false.
  bool standardize = false;
  /// Mean subtracted when standardising. Default: 0.
  double mean = 0.0;
  /// Standard deviation divided by when standardising; must be > 0. Default: 1.
  double stddev = 1.0;

  /// Values per sample: height × width × channels.
  size_t sample_size() const { return size_t{height} * width * channels; }

  /// Transforms `count` raw values into `out`.
  void apply(const uint8_t* raw, size_t count, float* out) const;

  /// Stable digest input: every field as text, for cache and memo keys.
  std::string canonical() const;

  /// JSON text of the record.
  std::string to_json() const;

  /// Parses and validates JSON produced by to_json().
  static caf::expected<preprocessing> from_json(const std::string& text);
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, preprocessing& x) {
  return f(caf::meta::type_name("preprocessing"), x.version, x.height, x.width, x.channels, x.scale,
           x.standardize, x.mean, x.stddev);
}

} // namespace dmlp
