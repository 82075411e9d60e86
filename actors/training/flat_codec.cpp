#include "actors/training/flat_codec.hpp"

#include <cstring>

#include "actors/training/errors.hpp"

namespace dmlp::training {

namespace {

tensor float_tensor(const char* name, const float* data, size_t n) {
  tensor t;
  t.name = name;
  t.type = dtype::float32;
  t.shape = {static_cast<int64_t>(n)};
  t.data.resize(n * sizeof(float));
  if (n > 0)
    std::memcpy(t.data.data(), data, n * sizeof(float));
  return t;
}

const tensor* find(const tensor_bundle& b, const char* name) {
  for (auto& t : b.tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

caf::expected<std::vector<float>> floats_of(const tensor_bundle& b, const char* name,
                                            size_t expected, bool optional) {
  auto t = find(b, name);
  if (!t) {
    if (optional)
      return std::vector<float>{};
    return caf::make_error(training_errc::bad_bundle, std::string{"missing tensor "} + name);
  }
  if (t->type != dtype::float32 || t->shape.size() != 1 ||
      t->data.size() != static_cast<size_t>(t->shape[0]) * sizeof(float))
    return caf::make_error(training_errc::bad_bundle, std::string{"bad tensor "} + name);
  auto n = static_cast<size_t>(t->shape[0]);
  if (expected != 0 && n != expected && !(optional && n == 0))
    return caf::make_error(training_errc::bad_bundle, std::string{name} + " has " +
                                                          std::to_string(n) + " values, expected " +
                                                          std::to_string(expected));
  std::vector<float> out(n);
  if (n > 0)
    std::memcpy(out.data(), t->data.data(), n * sizeof(float));
  return out;
}

} // namespace

caf::expected<encoded_bundle> encode_values(const float* data, size_t n) {
  tensor_bundle b;
  b.tensors.push_back(float_tensor("values", data, n));
  return encode(b);
}

caf::expected<std::vector<float>> decode_values(const encoded_bundle& bytes, size_t expected_size) {
  auto b = decode(bytes);
  if (!b)
    return b.error();
  return floats_of(*b, "values", expected_size, false);
}

caf::expected<encoded_bundle> encode_state(const flat_state& state) {
  tensor_bundle b;
  b.tensors.push_back(float_tensor("values", state.values.data(), state.values.size()));
  b.tensors.push_back(float_tensor("opt_m", state.m.data(), state.m.size()));
  b.tensors.push_back(float_tensor("opt_v", state.v.data(), state.v.size()));
  tensor t;
  t.name = "opt_t";
  t.type = dtype::int64;
  t.shape = {1};
  t.data.resize(sizeof(int64_t));
  std::memcpy(t.data.data(), &state.t, sizeof(int64_t));
  b.tensors.push_back(std::move(t));
  return encode(b);
}

caf::expected<flat_state> decode_state(const encoded_bundle& bytes, size_t expected_size) {
  auto b = decode(bytes);
  if (!b)
    return b.error();
  flat_state out;
  auto values = floats_of(*b, "values", expected_size, false);
  if (!values)
    return values.error();
  out.values = std::move(*values);
  auto m = floats_of(*b, "opt_m", 0, true);
  if (!m)
    return m.error();
  auto v = floats_of(*b, "opt_v", 0, true);
  if (!v)
    return v.error();
  out.m = std::move(*m);
  out.v = std::move(*v);
  if (auto t = find(*b, "opt_t")) {
    if (t->type != dtype::int64 || t->data.size() != sizeof(int64_t))
      return caf::make_error(training_errc::bad_bundle, "bad tensor opt_t");
    std::memcpy(&out.t, t->data.data(), sizeof(int64_t));
  }
  return out;
}

} // namespace dmlp::training
