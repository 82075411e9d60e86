#include "actors/serving/request_parser.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "actors/serving/image_decoder.hpp"

namespace dmlp::serving {

using json = nlohmann::json;

namespace {

parse_result failure(int status, std::string message) {
  parse_result r;
  r.status = status;
  r.error = std::move(message);
  return r;
}

/// Nesting depth of a JSON text, counted outside strings; stops early past `limit`.
uint32_t nesting_depth(const std::string& text, uint32_t limit) {
  uint32_t depth = 0;
  uint32_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit)
        return deepest;
    } else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return deepest;
}

/// Parses JSON with a depth bound; sets `error` on failure.
bool parse_json(const std::string& body, const request_limits& limits, json& out,
                parse_result& error) {
  if (nesting_depth(body, limits.max_depth) > limits.max_depth) {
    error = failure(400, "JSON nesting deeper than " + std::to_string(limits.max_depth));
    return false;
  }
  out = json::parse(body, nullptr, false);
  if (out.is_discarded()) {
    error = failure(400, "malformed JSON");
    return false;
  }
  if (!out.is_object()) {
    error = failure(400, "the request body must be a JSON object");
    return false;
  }
  return true;
}

/// Checks one raw pixel value and appends it; `integral` requires an integer value.
bool append_pixel(const json& v, bool integral, std::vector<float>& out, std::string& error) {
  if (!v.is_number()) {
    error = "expected a number, got " + std::string{v.type_name()};
    return false;
  }
  auto x = v.get<double>();
  if (!std::isfinite(x)) {
    error = "non-finite value";
    return false;
  }
  if (integral && !v.is_number_integer() && x != std::floor(x)) {
    error = "integer datatype with a fractional value";
    return false;
  }
  if (x < 0.0 || x > 255.0) {
    error = "pixel value " + std::to_string(x) + " outside [0, 255]";
    return false;
  }
  out.push_back(static_cast<float>(x));
  return true;
}

/// Decodes one base64 image into model inputs.
bool append_image(const std::string& b64, const preprocessing& prep, const request_limits& limits,
                  std::vector<float>& out, std::string& error) {
  std::vector<uint8_t> bytes;
  if (!decode_base64(b64, bytes)) {
    error = "invalid base64 image data";
    return false;
  }
  if (prep.channels != 1) {
    error = "images are supported for single-channel models only";
    return false;
  }
  std::vector<uint8_t> pixels;
  if (!decode_image(bytes, prep.height, prep.width, pixels, error, limits.max_image_pixels))
    return false;
  out.insert(out.end(), pixels.begin(), pixels.end());
  return true;
}

/// Appends one V1 instance (flat, H × W, 1 × H × W, or {"b64": …}).
bool append_instance(const json& inst, const preprocessing& prep, const request_limits& limits,
                     std::vector<float>& out, std::string& error) {
  if (inst.is_object()) {
    auto b64 = inst.find("b64");
    if (inst.size() != 1 || b64 == inst.end() || !b64->is_string()) {
      error = "an object instance must be {\"b64\": \"<base64 image>\"}";
      return false;
    }
    return append_image(b64->get_ref<const std::string&>(), prep, limits, out, error);
  }
  if (!inst.is_array()) {
    error = "an instance must be an array of pixels or {\"b64\": …}";
    return false;
  }
  const json* rows = &inst;
  if (inst.size() == 1 && inst[0].is_array() && prep.channels == 1)
    rows = &inst[0]; // 1 × H × W
  auto size = prep.sample_size();
  auto first = out.size();
  if (rows->size() == size && (size != prep.height || !(*rows)[0].is_array())) {
    for (auto& v : *rows)
      if (!append_pixel(v, false, out, error))
        return false;
  } else if (rows->size() == prep.height && prep.channels == 1) {
    for (auto& row : *rows) {
      if (!row.is_array() || row.size() != prep.width) {
        error = "each row must be an array of " + std::to_string(prep.width) + " pixels";
        return false;
      }
      for (auto& v : row)
        if (!append_pixel(v, false, out, error))
          return false;
    }
  } else {
    error = "an instance must hold " + std::to_string(size) + " pixels (flat, " +
            std::to_string(prep.height) + "x" + std::to_string(prep.width) + " or 1x" +
            std::to_string(prep.height) + "x" + std::to_string(prep.width) + ")";
    return false;
  }
  if (out.size() - first != size) {
    error = "an instance holds the wrong number of pixels";
    return false;
  }
  return true;
}

/// Flattens nested arrays of numbers in row-major order (depth already bounded).
bool flatten(const json& v, std::vector<const json*>& out, std::string& error) {
  if (v.is_array()) {
    for (auto& e : v)
      if (!flatten(e, out, error))
        return false;
    return true;
  }
  out.push_back(&v);
  return true;
}

bool is_integer_type(const std::string& t) {
  return t == "UINT8" || t == "INT8" || t == "INT16" || t == "INT32" || t == "INT64" ||
         t == "UINT16" || t == "UINT32" || t == "UINT64";
}

bool is_float_type(const std::string& t) {
  return t == "FP16" || t == "FP32" || t == "FP64";
}

} // namespace

parse_result parse_v1_request(const std::string& body, const preprocessing& prep,
                              const request_limits& limits) {
  json j;
  parse_result r;
  if (!parse_json(body, limits, j, r))
    return r;
  auto instances = j.find("instances");
  if (instances == j.end() || !instances->is_array())
    return failure(400, "the body must hold an \"instances\" array");
  if (instances->empty())
    return failure(400, "\"instances\" is empty");
  if (instances->size() > limits.max_samples)
    return failure(413, "more than " + std::to_string(limits.max_samples) + " instances");
  r.inputs.reserve(instances->size() * prep.sample_size());
  std::string error;
  for (size_t i = 0; i < instances->size(); ++i)
    if (!append_instance((*instances)[i], prep, limits, r.inputs, error))
      return failure(400, "instance " + std::to_string(i) + ": " + error);
  r.samples = static_cast<uint32_t>(instances->size());
  return r;
}

parse_result parse_v2_request(const std::string& body, const preprocessing& prep,
                              const request_limits& limits) {
  json j;
  parse_result r;
  if (!parse_json(body, limits, j, r))
    return r;
  if (auto id = j.find("id"); id != j.end()) {
    if (!id->is_string())
      return failure(400, "\"id\" must be a string");
    r.id = id->get<std::string>();
  }
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->size() != 1 || !(*inputs)[0].is_object())
    return failure(400, "\"inputs\" must be an array of exactly one tensor object");
  auto& t = (*inputs)[0];
  auto name = t.find("name");
  auto shape = t.find("shape");
  auto datatype = t.find("datatype");
  auto data = t.find("data");
  if (name == t.end() || !name->is_string())
    return failure(400, "the input tensor needs a \"name\" string");
  if (shape == t.end() || !shape->is_array() || shape->empty())
    return failure(400, "the input tensor needs a \"shape\" array");
  if (datatype == t.end() || !datatype->is_string())
    return failure(400, "the input tensor needs a \"datatype\" string");
  if (data == t.end() || !data->is_array())
    return failure(400, "the input tensor needs a \"data\" array");
  std::vector<int64_t> dims;
  for (auto& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() <= 0 || d.get<int64_t>() > (1 << 24))
      return failure(400, "shape entries must be positive integers");
    dims.push_back(d.get<int64_t>());
  }
  if (dims[0] > static_cast<int64_t>(limits.max_samples))
    return failure(413, "more than " + std::to_string(limits.max_samples) + " samples");
  auto n = static_cast<uint32_t>(dims[0]);
  auto type = datatype->get<std::string>();
  std::vector<const json*> values;
  std::string error;
  flatten(*data, values, error);
  r.inputs.reserve(size_t{n} * prep.sample_size());
  if (type == "BYTES") {
    if (dims.size() != 1)
      return failure(400, "a BYTES input has shape [N]");
    if (values.size() != n)
      return failure(400, "data holds " + std::to_string(values.size()) + " elements, shape says " +
                              std::to_string(n));
    for (uint32_t i = 0; i < n; ++i) {
      const json* v = values[i];
      if (v->is_object() && v->size() == 1 && v->contains("b64"))
        v = &v->at("b64");
      if (!v->is_string())
        return failure(400, "BYTES element " + std::to_string(i) + " must be a base64 string");
      if (!append_image(v->get_ref<const std::string&>(), prep, limits, r.inputs, error))
        return failure(400, "BYTES element " + std::to_string(i) + ": " + error);
    }
    r.samples = n;
    return r;
  }
  if (!is_integer_type(type) && !is_float_type(type))
    return failure(400, "unsupported datatype \"" + type + "\"");
  bool shape_ok = false;
  int64_t h = prep.height;
  int64_t w = prep.width;
  int64_t c = prep.channels;
  if (dims.size() == 2)
    shape_ok = dims[1] == static_cast<int64_t>(prep.sample_size());
  else if (dims.size() == 3)
    shape_ok = c == 1 && dims[1] == h && dims[2] == w;
  else if (dims.size() == 4)
    shape_ok = dims[1] == c && dims[2] == h && dims[3] == w;
  if (!shape_ok)
    return failure(400, "shape must be [N, " + std::to_string(prep.sample_size()) + "], [N, " +
                            std::to_string(h) + ", " + std::to_string(w) + "] or [N, " +
                            std::to_string(c) + ", " + std::to_string(h) + ", " +
                            std::to_string(w) + "]");
  auto expected = size_t{n} * prep.sample_size();
  if (values.size() != expected)
    return failure(400, "data holds " + std::to_string(values.size()) + " values, shape needs " +
                            std::to_string(expected));
  bool integral = is_integer_type(type);
  for (size_t i = 0; i < values.size(); ++i)
    if (!append_pixel(*values[i], integral, r.inputs, error))
      return failure(400, "data[" + std::to_string(i) + "]: " + error);
  r.samples = n;
  return r;
}

std::string format_v1_response(const inference_result& result) {
  json predictions = json::array();
  for (uint32_t i = 0; i < result.samples; ++i) {
    auto first = result.outputs.begin() + size_t{i} * result.classes;
    predictions.push_back(std::vector<float>(first, first + result.classes));
  }
  return json{{"predictions", std::move(predictions)}}.dump();
}

std::string format_v2_response(const std::string& model, const std::string& id,
                               const inference_result& result) {
  json out{{"model_name", model},
           {"model_version", std::to_string(result.version)},
           {"outputs", json::array({json{{"name", "probabilities"},
                                         {"datatype", "FP32"},
                                         {"shape", {result.samples, result.classes}},
                                         {"data", result.outputs}}})}};
  if (!id.empty())
    out["id"] = id;
  return out.dump();
}

std::string format_error(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace dmlp::serving
