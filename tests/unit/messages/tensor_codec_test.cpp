// The torch side of TensorBundle: torch::Tensor → bytes → torch::Tensor is exact for every
// supported element type, including non-contiguous inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "actors/models/tensor_codec.hpp"
#include "messages/errors.hpp"

using namespace dmlp;

TEST(tensor_codec, torch_round_trip_is_bit_exact) {
  torch::manual_seed(3);
  std::vector<std::pair<std::string, torch::Tensor>> named{
      {"f32", torch::randn({3, 4, 5})},
      {"f64", torch::randn({7}, torch::kFloat64)},
      {"i64", torch::randint(-100, 100, {2, 3}, torch::kInt64)},
      {"i32", torch::randint(-100, 100, {9}, torch::kInt32)},
      {"u8", torch::randint(0, 255, {28, 28}, torch::kUInt8)},
      {"i8", torch::randint(-100, 100, {4}, torch::kInt8)},
      {"transposed", torch::randn({4, 6}).t()},
      {"empty", torch::zeros({0, 3})},
  };
  auto bundle = models::bundle_from_torch(named);
  ASSERT_TRUE(bundle);
  auto bytes = encode(*bundle);
  ASSERT_TRUE(bytes);
  auto decoded = decode(*bytes);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->tensors.size(), named.size());
  for (size_t i = 0; i < named.size(); ++i) {
    auto back = models::to_torch(decoded->tensors[i]);
    EXPECT_EQ(decoded->tensors[i].name, named[i].first);
    EXPECT_EQ(back.scalar_type(), named[i].second.scalar_type());
    EXPECT_EQ(back.sizes(), named[i].second.sizes());
    EXPECT_TRUE(torch::equal(back, named[i].second)) << named[i].first;
  }
}

TEST(tensor_codec, unsupported_types_are_errors) {
  auto half = models::from_torch("h", torch::zeros({2}, torch::kFloat16));
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error(), caf::error{codec_errc::unknown_dtype});
}
