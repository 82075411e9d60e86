#include "actors/training/flat_codec.hpp"

#include <cstdint>
#include <cstring>
#include <string>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "actors/training/errors.hpp"
#include "tensor_bundle.capnp.h"

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

// Builds a "values" message for `data_bytes` bytes of floats in `words`, zeroed except where
// the blob goes: Cap'n Proto allocates the blob without touching it, so whatever bytes are there
// become its contents. Returns the words used and sets `blob` to where the blob starts.
caf::expected<size_t> build_values(kj::ArrayPtr<capnp::word> words, size_t data_bytes,
                                   const void*& blob) {
  try {
    capnp::FlatMessageBuilder message(words);
    auto root = message.initRoot<TensorBundle>();
    root.setFormatVersion(tensor_bundle_format_version);
    auto t = root.initTensors(1)[0];
    t.setName("values");
    t.setDtype(DType::FLOAT32);
    t.initShape(1).set(0, static_cast<int64_t>(data_bytes / sizeof(float)));
    blob = t.initData(static_cast<unsigned>(data_bytes)).begin();
    return message.getSegmentsForOutput()[0].size();
  } catch (const kj::Exception& e) {
    return caf::make_error(training_errc::bad_bundle, std::string(e.getDescription().cStr()));
  }
}

// Words of a "values" message before its blob. The blob is allocated last and its length lives
// in a pointer, so this is the same for every length: the size of an empty one.
size_t values_header_words() {
  static const size_t words = [] {
    std::vector<capnp::word> scratch(64, capnp::word{});
    const void* blob = nullptr;
    auto used = build_values(kj::arrayPtr(scratch.data(), scratch.size()), 0, blob);
    return used ? *used : 0;
  }();
  return words;
}

} // namespace

caf::expected<encoded_bundle> encode_values(const float* data, size_t n) {
  // Cap'n Proto's Data blob holds fewer than 2^29 bytes.
  constexpr size_t max_bytes = (size_t{1} << 29) - 1;
  auto data_bytes = n * sizeof(float);
  if (data_bytes > max_bytes)
    return caf::make_error(training_errc::bad_bundle,
                           std::to_string(n) + " values exceed one bundle's limit");
  // One segment: the segment table (one word), the structs and name, then the data. The floats
  // are appended where the blob will be allocated and the message is built around them: one
  // copy of the data and no zero-filling pass over it.
  constexpr size_t table_words = 1;
  constexpr size_t word = sizeof(capnp::word);
  auto header_words = values_header_words();
  auto data_words = (data_bytes + word - 1) / word;
  auto segment_words = header_words + data_words;
  encoded_bundle out;
  out.bytes.reserve((table_words + segment_words) * word);
  out.bytes.resize((table_words + header_words) * word);
  auto* bytes = reinterpret_cast<const uint8_t*>(data);
  out.bytes.insert(out.bytes.end(), bytes, bytes + data_bytes);
  out.bytes.resize((table_words + segment_words) * word);
  auto* first = reinterpret_cast<capnp::word*>(out.bytes.data()) + table_words;
  const void* blob = nullptr;
  auto used_words = build_values(kj::arrayPtr(first, segment_words), data_bytes, blob);
  if (!used_words)
    return used_words.error();
  if (*used_words != segment_words || (data_bytes > 0 && blob != first + header_words))
    return caf::make_error(training_errc::bad_bundle, "values bundle laid out unexpectedly");
  // The flat format's table for one segment: count − 1 = 0, then the segment's size in words.
  uint32_t table[2] = {0, static_cast<uint32_t>(segment_words)};
  std::memcpy(out.bytes.data(), table, sizeof table);
  return out;
}

caf::error visit_values(const encoded_bundle& in, size_t expected_size,
                        const std::function<void(const float*, size_t)>& use) {
  const auto& bytes = in.bytes;
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return caf::make_error(training_errc::bad_bundle, "values bundle of " +
                                                          std::to_string(bytes.size()) +
                                                          " bytes is not a whole number of words");
  // Cap'n Proto reads words in place; only misaligned storage needs a copy.
  kj::Array<capnp::word> aligned;
  kj::ArrayPtr<const capnp::word> words;
  auto word_count = bytes.size() / sizeof(capnp::word);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
    words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), word_count);
  } else {
    aligned = kj::heapArray<capnp::word>(word_count);
    std::memcpy(aligned.begin(), bytes.data(), bytes.size());
    words = aligned.asPtr();
  }
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = word_count + 1024;
    capnp::FlatArrayMessageReader reader(words, options);
    auto root = reader.getRoot<TensorBundle>();
    if (root.getFormatVersion() != tensor_bundle_format_version)
      return caf::make_error(training_errc::bad_bundle,
                             "TensorBundle version " + std::to_string(root.getFormatVersion()));
    for (auto t : root.getTensors()) {
      if (t.getName() != "values")
        continue;
      auto shape = t.getShape();
      auto data = t.getData();
      if (t.getDtype() != DType::FLOAT32 || shape.size() != 1 || shape[0] < 0 ||
          data.size() != static_cast<uint64_t>(shape[0]) * sizeof(float))
        return caf::make_error(training_errc::bad_bundle, "bad tensor values");
      auto n = static_cast<size_t>(shape[0]);
      if (expected_size != 0 && n != expected_size)
        return caf::make_error(training_errc::bad_bundle, "values has " + std::to_string(n) +
                                                              " values, expected " +
                                                              std::to_string(expected_size));
      // Data blobs start on a word boundary, so the floats are aligned.
      use(reinterpret_cast<const float*>(data.begin()), n);
      return {};
    }
  } catch (const kj::Exception& e) {
    return caf::make_error(training_errc::bad_bundle, std::string(e.getDescription().cStr()));
  }
  return caf::make_error(training_errc::bad_bundle, "missing tensor values");
}

caf::expected<std::vector<float>> decode_values(const encoded_bundle& bytes, size_t expected_size) {
  std::vector<float> out;
  auto err = visit_values(bytes, expected_size,
                          [&](const float* data, size_t n) { out.assign(data, data + n); });
  if (err)
    return err;
  return out;
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
