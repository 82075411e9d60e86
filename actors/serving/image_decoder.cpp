#include "actors/serving/image_decoder.hpp"

#include <memory>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#include <stb/stb_image.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb/stb_image_resize.h>

namespace dmlp::serving {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

} // namespace

bool decode_base64(const std::string& text, std::vector<uint8_t>& out) {
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    auto v = base64_value(c);
    if (v < 0 || padding)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return bits < 6;
}

std::string encode_base64(const std::vector<uint8_t>& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6)
      out.push_back(alphabet[(v >> s) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = bytes[i] << 16;
    if (i + 1 < bytes.size())
      v |= bytes[i + 1] << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool decode_image(const std::vector<uint8_t>& bytes, uint32_t height, uint32_t width,
                  std::vector<uint8_t>& out, std::string& error, uint64_t max_pixels) {
  if (bytes.empty() || bytes.size() > (uint64_t{1} << 30)) {
    error = "empty or oversized image data";
    return false;
  }
  int w = 0;
  int h = 0;
  int channels = 0;
  auto size = static_cast<int>(bytes.size());
  if (!stbi_info_from_memory(bytes.data(), size, &w, &h, &channels)) {
    error = std::string{"not a PNG/JPEG/BMP/GIF image: "} + stbi_failure_reason();
    return false;
  }
  if (w <= 0 || h <= 0 || static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > max_pixels) {
    error = "image of " + std::to_string(w) + "x" + std::to_string(h) + " pixels is too large";
    return false;
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels{
      stbi_load_from_memory(bytes.data(), size, &w, &h, &channels, 1), stbi_image_free};
  if (!pixels) {
    error = std::string{"cannot decode image: "} + stbi_failure_reason();
    return false;
  }
  out.assign(size_t{height} * width, 0);
  if (static_cast<uint32_t>(w) == width && static_cast<uint32_t>(h) == height) {
    std::copy(pixels.get(), pixels.get() + out.size(), out.begin());
    return true;
  }
  if (!stbir_resize_uint8(pixels.get(), w, h, 0, out.data(), static_cast<int>(width),
                          static_cast<int>(height), 0, 1)) {
    error = "cannot resize image";
    return false;
  }
  return true;
}

} // namespace dmlp::serving
