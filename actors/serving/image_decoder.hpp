// Decodes images sent in requests ({"b64": …} in V1, BYTES tensors in V2): base64 text →
// PNG/JPEG bytes → grayscale pixels (stb_image) → resized to the model's height × width
// (stb_image_resize) → raw uint8 pixels, to which the caller then applies the model's
// preprocessing record, exactly as training did. Every failure is a message, never a crash:
// bad base64, unknown or corrupt image data, images larger than max_pixels. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmlp::serving {

/// Decodes standard or URL-safe base64 (padding optional, whitespace ignored). Returns false
/// on any other character or a dangling bit group.
bool decode_base64(const std::string& text, std::vector<uint8_t>& out);

/// Encodes bytes as standard base64 with padding (used by tests and clients).
std::string encode_base64(const std::vector<uint8_t>& bytes);

/// Decodes a PNG/JPEG/BMP/GIF image to `height` × `width` grayscale pixels in `out`. On
/// failure returns false and says why in `error`. Images above `max_pixels` are refused.
bool decode_image(const std::vector<uint8_t>& bytes, uint32_t height, uint32_t width,
                  std::vector<uint8_t>& out, std::string& error,
                  uint64_t max_pixels = 4096ull * 4096ull);

} // namespace dmlp::serving
