#include "messages/preprocessing.hpp"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "messages/errors.hpp"

namespace dmlp {

void preprocessing::apply(const uint8_t* raw, size_t count, float* out) const {
  auto s = static_cast<float>(scale);
  if (!standardize) {
    for (size_t i = 0; i < count; ++i)
      out[i] = static_cast<float>(raw[i]) * s;
    return;
  }
  auto m = static_cast<float>(mean);
  auto inv = static_cast<float>(1.0 / stddev);
  for (size_t i = 0; i < count; ++i)
    out[i] = (static_cast<float>(raw[i]) * s - m) * inv;
}

std::string preprocessing::canonical() const {
  std::ostringstream out;
  out.precision(17);
  out << "v" << version << ";h" << height << ";w" << width << ";c" << channels << ";scale" << scale
      << ";std" << standardize << ";mean" << mean << ";sd" << stddev;
  return out.str();
}

std::string preprocessing::to_json() const {
  nlohmann::json j{{"version", version},   {"height", height}, {"width", width},
                   {"channels", channels}, {"scale", scale},   {"standardize", standardize},
                   {"mean", mean},         {"stddev", stddev}};
  return j.dump(2);
}

caf::expected<preprocessing> preprocessing::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return caf::make_error(codec_errc::malformed, "preprocessing record is not a JSON object");
  preprocessing p;
  try {
    for (auto& [key, value] : j.items()) {
      if (key == "version")
        p.version = value.get<uint32_t>();
      else if (key == "height")
        p.height = value.get<uint32_t>();
      else if (key == "width")
        p.width = value.get<uint32_t>();
      else if (key == "channels")
        p.channels = value.get<uint32_t>();
      else if (key == "scale")
        p.scale = value.get<double>();
      else if (key == "standardize")
        p.standardize = value.get<bool>();
      else if (key == "mean")
        p.mean = value.get<double>();
      else if (key == "stddev")
        p.stddev = value.get<double>();
      else
        return caf::make_error(codec_errc::malformed, "preprocessing: unknown key '" + key + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    return caf::make_error(codec_errc::malformed, std::string{"preprocessing: "} + e.what());
  }
  if (p.version != 1)
    return caf::make_error(codec_errc::unsupported_version,
                           "preprocessing version " + std::to_string(p.version));
  if (p.height == 0 || p.width == 0 || p.channels == 0 || !std::isfinite(p.scale) ||
      !std::isfinite(p.mean) || !(p.stddev > 0) || !std::isfinite(p.stddev))
    return caf::make_error(codec_errc::malformed, "preprocessing: invalid field values");
  return p;
}

} // namespace dmlp
