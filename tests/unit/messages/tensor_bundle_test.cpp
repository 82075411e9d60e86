// TensorBundle and checked-file codecs: round trips, and every kind of bad input gives an
// error value — never a crash or an unbounded allocation.
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "messages/checked_file.hpp"
#include "messages/errors.hpp"
#include "messages/preprocessing.hpp"
#include "messages/snapshot_codec.hpp"
#include "messages/tensor_bundle.hpp"

using namespace dmlp;

namespace {

tensor make_float_tensor(const std::string& name, std::vector<int64_t> shape) {
  tensor t;
  t.name = name;
  t.type = dtype::float32;
  t.shape = std::move(shape);
  std::vector<float> values(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i) * 0.5f - 3.0f;
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

tensor_bundle sample_bundle() {
  tensor_bundle bundle;
  bundle.tensors.push_back(make_float_tensor("conv1.weight", {32, 1, 3, 3}));
  bundle.tensors.push_back(make_float_tensor("conv1.bias", {32}));
  tensor labels;
  labels.name = "labels";
  labels.type = dtype::int64;
  labels.shape = {4};
  labels.data.resize(4 * sizeof(int64_t), 1);
  bundle.tensors.push_back(labels);
  tensor scalar;
  scalar.name = "scalar";
  scalar.type = dtype::uint8;
  scalar.data = {42};
  bundle.tensors.push_back(scalar);
  return bundle;
}

} // namespace

TEST(tensor_bundle, round_trips_every_field) {
  auto bundle = sample_bundle();
  auto bytes = encode(bundle);
  ASSERT_TRUE(bytes);
  auto decoded = decode(*bytes);
  ASSERT_TRUE(decoded) << describe(decoded.error());
  ASSERT_EQ(decoded->tensors.size(), bundle.tensors.size());
  for (size_t i = 0; i < bundle.tensors.size(); ++i) {
    EXPECT_EQ(decoded->tensors[i].name, bundle.tensors[i].name);
    EXPECT_EQ(decoded->tensors[i].type, bundle.tensors[i].type);
    EXPECT_EQ(decoded->tensors[i].shape, bundle.tensors[i].shape);
    EXPECT_EQ(decoded->tensors[i].data, bundle.tensors[i].data);
  }
}

TEST(tensor_bundle, encode_refuses_data_that_disagrees_with_the_shape) {
  tensor_bundle bundle;
  bundle.tensors.push_back(make_float_tensor("w", {2, 2}));
  bundle.tensors[0].data.pop_back();
  auto bytes = encode(bundle);
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error(), caf::error{codec_errc::shape_mismatch});
}

TEST(tensor_bundle, truncated_input_is_an_error) {
  auto bytes = *encode(sample_bundle());
  for (size_t cut :
       {size_t{0}, size_t{7}, size_t{8}, bytes.bytes.size() / 2, bytes.bytes.size() - 8}) {
    encoded_bundle part{std::vector<uint8_t>(bytes.bytes.begin(), bytes.bytes.begin() + cut)};
    auto decoded = decode(part);
    EXPECT_FALSE(decoded) << "cut at " << cut;
  }
}

TEST(tensor_bundle, oversized_input_and_claims_are_refused_before_allocation) {
  auto bytes = *encode(sample_bundle());
  decode_limits tight;
  tight.max_bytes = 64;
  auto decoded = decode(bytes, tight);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), caf::error{codec_errc::oversized});
  // A tensor whose shape claims 2^62 elements but carries 4 bytes.
  tensor liar = make_float_tensor("liar", {1});
  tensor_bundle bundle{{liar}};
  auto good = *encode(bundle);
  auto decoded_good = decode(good);
  ASSERT_TRUE(decoded_good);
  decoded_good->tensors[0].shape = {int64_t{1} << 31, int64_t{1} << 31};
  EXPECT_FALSE(encode(*decoded_good));
}

TEST(tensor_bundle, random_and_flipped_bytes_never_crash) {
  auto bytes = *encode(sample_bundle());
  std::mt19937_64 rng{1234};
  size_t errors = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    auto mutated = bytes;
    auto flips = 1 + rng() % 8;
    for (size_t f = 0; f < flips; ++f)
      mutated.bytes[rng() % mutated.bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto decoded = decode(mutated);
    if (!decoded)
      ++errors;
    else
      for (auto& t : decoded->tensors)
        EXPECT_EQ(t.data.size(), static_cast<size_t>(t.numel()) * element_size(t.type));
  }
  for (int trial = 0; trial < 500; ++trial) {
    encoded_bundle noise;
    noise.bytes.resize(8 * (1 + rng() % 64));
    for (auto& b : noise.bytes)
      b = static_cast<uint8_t>(rng());
    (void)decode(noise);
  }
  EXPECT_GT(errors, 0u);
}

TEST(checked_file, round_trip_and_every_header_check) {
  auto magic = make_magic("DMLPTEST");
  std::vector<uint8_t> body{1, 2, 3, 4, 5};
  auto file = frame_checked(magic, 3, body);
  auto back = unframe_checked(magic, 3, file);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, body);
  EXPECT_EQ(unframe_checked(make_magic("DMLPOTHR"), 3, file).error(),
            caf::error{codec_errc::bad_magic});
  EXPECT_EQ(unframe_checked(magic, 4, file).error(), caf::error{codec_errc::unsupported_version});
  auto flipped = file;
  flipped.back() ^= 1;
  EXPECT_EQ(unframe_checked(magic, 3, flipped).error(), caf::error{codec_errc::checksum_mismatch});
  auto short_file = file;
  short_file.pop_back();
  EXPECT_EQ(unframe_checked(magic, 3, short_file).error(), caf::error{codec_errc::truncated});
  EXPECT_EQ(unframe_checked(magic, 3, std::vector<uint8_t>(5)).error(),
            caf::error{codec_errc::truncated});
  auto huge = file;
  huge[19] = 0x7f; // top byte of the length field
  EXPECT_EQ(unframe_checked(magic, 3, huge).error(), caf::error{codec_errc::oversized});
}

TEST(snapshot_codec, round_trip_and_corruption) {
  snapshot_record record{"demo/ledger", 9, {1, 2, 3}};
  auto file = encode_snapshot_file(record);
  auto back = decode_snapshot_file(file);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, record.key);
  EXPECT_EQ(back->sequence, 9u);
  EXPECT_EQ(back->payload, record.payload);
  file[file.size() / 2] ^= 0x10;
  EXPECT_FALSE(decode_snapshot_file(file));
}

TEST(preprocessing, applies_scale_and_standardisation_and_round_trips_json) {
  preprocessing p;
  uint8_t raw[3] = {0, 51, 255};
  float out[3];
  p.apply(raw, 3, out);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.2f);
  EXPECT_FLOAT_EQ(out[2], 1.0f);
  p.standardize = true;
  p.mean = 0.5;
  p.stddev = 0.25;
  p.apply(raw, 3, out);
  EXPECT_FLOAT_EQ(out[0], -2.0f);
  EXPECT_FLOAT_EQ(out[2], 2.0f);
  auto back = preprocessing::from_json(p.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->canonical(), p.canonical());
  EXPECT_FALSE(preprocessing::from_json("{not json"));
  EXPECT_FALSE(preprocessing::from_json(R"({"stddev": 0})"));
  EXPECT_FALSE(preprocessing::from_json(R"({"version": 2})"));
  EXPECT_FALSE(preprocessing::from_json(R"({"scale": "big"})"));
  EXPECT_FALSE(preprocessing::from_json(R"({"colour": true})"));
}
