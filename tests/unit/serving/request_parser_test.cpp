// The HTTP request parser: every accepted input form and every error case.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "actors/serving/image_decoder.hpp"
#include "actors/serving/request_parser.hpp"

using namespace dmlp;
using namespace dmlp::serving;
using json = nlohmann::json;

namespace {

std::vector<uint8_t> png_of(int w, int h, uint8_t value, int channels = 1) {
  std::vector<uint8_t> pixels(size_t(w) * h * channels, value);
  std::vector<uint8_t> out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) {
        auto* o = static_cast<std::vector<uint8_t>*>(ctx);
        o->insert(o->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
      },
      &out, w, h, channels, pixels.data(), w * channels);
  return out;
}

json flat(double v) {
  return json(std::vector<double>(784, v));
}

json rows(double v) {
  return json(std::vector<std::vector<double>>(28, std::vector<double>(28, v)));
}

const preprocessing prep;

} // namespace

TEST(request_parser, v1_accepts_flat_nested_and_channel_first_instances) {
  json body{{"instances", {flat(255), rows(0), json::array({rows(51)})}}};
  auto r = parse_v1_request(body.dump(), prep);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.samples, 3u);
  ASSERT_EQ(r.inputs.size(), 3u * 784);
  EXPECT_FLOAT_EQ(r.inputs[0], 255.0f);
  EXPECT_FLOAT_EQ(r.inputs[784], 0.0f);
  EXPECT_FLOAT_EQ(r.inputs[2 * 784 + 5], 51.0f);
}

TEST(request_parser, v1_decodes_and_resizes_images) {
  json body{{"instances",
             {{{"b64", encode_base64(png_of(28, 28, 200))}},
              {{"b64", encode_base64(png_of(56, 40, 100, 3))}}}}};
  auto r = parse_v1_request(body.dump(), prep);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.samples, 2u);
  EXPECT_FLOAT_EQ(r.inputs[0], 200.0f);
  EXPECT_NEAR(r.inputs[784 + 300], 100.0f, 1.0f);
}

TEST(request_parser, v1_rejects_every_malformed_body) {
  struct bad_case {
    std::string body;
    int status;
  };
  std::vector<bad_case> cases = {
      {"{\"instances\": [", 400},            // malformed JSON
      {"[1, 2]", 400},                       // not an object
      {"{\"inputs\": []}", 400},             // no instances
      {"{\"instances\": []}", 400},          // empty
      {"{\"instances\": [[1, 2, 3]]}", 400}, // wrong size
      {json{{"instances", {json(std::vector<double>(783, 0))}}}.dump(), 400},
      {json{{"instances", {json(std::vector<std::string>(784, "a"))}}}.dump(), 400}, // dtype
      {json{{"instances", {flat(256)}}}.dump(), 400},                                // out of range
      {json{{"instances", {flat(-1)}}}.dump(), 400},
      {"{\"instances\": [[NaN]]}", 400},                     // NaN is not JSON
      {json{{"instances", {{{"b64", "!!!"}}}}}.dump(), 400}, // bad base64
      {json{{"instances", {{{"b64", encode_base64({1, 2, 3, 4})}}}}}.dump(), 400}, // not an image
      {json{{"instances", {{{"url", "x"}}}}}.dump(), 400},
      {std::string(40, '[') + std::string(40, ']'), 400}, // too deep
  };
  for (auto& c : cases) {
    auto r = parse_v1_request(c.body, prep);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80);
    EXPECT_FALSE(r.error.empty());
  }
  // 1e999 overflows to infinity.
  std::string body = "{\"instances\": [[1e999";
  for (int i = 1; i < 784; ++i)
    body += ",0";
  body += "]]}";
  auto r = parse_v1_request(body, prep);
  EXPECT_EQ(r.status, 400);
  request_limits small;
  small.max_samples = 2;
  json many{{"instances", {flat(0), flat(0), flat(0)}}};
  EXPECT_EQ(parse_v1_request(many.dump(), prep, small).status, 413);
}

TEST(request_parser, v2_accepts_typed_tensors_in_every_shape) {
  for (auto shape : {json{2, 784}, json{2, 28, 28}, json{2, 1, 28, 28}}) {
    json body{{"id", "req-1"},
              {"inputs",
               {{{"name", "input"},
                 {"shape", shape},
                 {"datatype", "UINT8"},
                 {"data", std::vector<int>(2 * 784, 7)}}}}};
    auto r = parse_v2_request(body.dump(), prep);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.samples, 2u);
    EXPECT_EQ(r.id, "req-1");
    EXPECT_FLOAT_EQ(r.inputs.back(), 7.0f);
  }
  json nested{
      {"inputs",
       {{{"name", "x"}, {"shape", {1, 28, 28}}, {"datatype", "FP32"}, {"data", rows(0.5)}}}}};
  EXPECT_TRUE(parse_v2_request(nested.dump(), prep).ok());
  json bytes{{"inputs",
              {{{"name", "img"},
                {"shape", {1}},
                {"datatype", "BYTES"},
                {"data", {encode_base64(png_of(28, 28, 9))}}}}}};
  auto r = parse_v2_request(bytes.dump(), prep);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FLOAT_EQ(r.inputs[0], 9.0f);
}

TEST(request_parser, v2_rejects_wrong_shapes_dtypes_and_values) {
  auto tensor = [](json shape, std::string type, json data) {
    return json{
        {"inputs", {{{"name", "input"}, {"shape", shape}, {"datatype", type}, {"data", data}}}}}
        .dump();
  };
  std::vector<std::string> bad = {
      "{}",
      "{\"inputs\": {}}",
      "{\"inputs\": [{\"shape\": [1, 784], \"datatype\": \"FP32\", \"data\": []}]}", // no name
      json{{"id", 5}, {"inputs", json::array()}}.dump(),
      tensor({1, 783}, "FP32", std::vector<int>(783, 0)),       // wrong shape
      tensor({1, 784}, "FP32", std::vector<int>(700, 0)),       // data/shape mismatch
      tensor({1, 784}, "STRING", std::vector<int>(784, 0)),     // unknown dtype
      tensor({1, 784}, "UINT8", std::vector<double>(784, 0.5)), // fraction in integer type
      tensor({1, 784}, "FP32", std::vector<double>(784, 300)),  // out of range
      tensor({0, 784}, "FP32", json::array()),                  // non-positive dimension
      tensor({1, 784}, "FP32", "abc"),                          // data not an array
      tensor({2}, "BYTES", {"abc"}),                            // count mismatch
      tensor({1, 1}, "BYTES", {"abc"}),                         // BYTES shape
      tensor({1}, "BYTES", {5}),                                // not a string
  };
  for (auto& b : bad) {
    auto r = parse_v2_request(b, prep);
    EXPECT_EQ(r.status, 400) << b.substr(0, 120);
    EXPECT_FALSE(r.error.empty());
  }
  request_limits small;
  small.max_samples = 1;
  EXPECT_EQ(
      parse_v2_request(tensor({2, 784}, "FP32", std::vector<int>(1568, 0)), prep, small).status,
      413);
}

TEST(request_parser, formats_answers_and_errors) {
  inference_result r;
  r.samples = 2;
  r.classes = 2;
  r.outputs = {0.25f, 0.75f, 1.0f, 0.0f};
  r.version = 3;
  auto v1 = json::parse(format_v1_response(r));
  EXPECT_EQ(v1["predictions"].size(), 2u);
  EXPECT_FLOAT_EQ(v1["predictions"][0][1].get<float>(), 0.75f);
  auto v2 = json::parse(format_v2_response("fashion", "id-9", r));
  EXPECT_EQ(v2["model_version"], "3");
  EXPECT_EQ(v2["id"], "id-9");
  EXPECT_EQ(v2["outputs"][0]["shape"], json({2, 2}));
  EXPECT_EQ(json::parse(format_error("bad \xff byte"))["error"].get<std::string>().substr(0, 3),
            "bad");
}

TEST(image_decoder, base64_round_trips_and_rejects_garbage) {
  std::vector<uint8_t> bytes{0, 1, 2, 250, 251, 252, 253};
  std::vector<uint8_t> back;
  ASSERT_TRUE(decode_base64(encode_base64(bytes), back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(decode_base64("ab$c", back));
  EXPECT_FALSE(decode_base64("QQ==QQ", back));
  std::vector<uint8_t> pixels;
  std::string error;
  EXPECT_FALSE(decode_image(png_of(64, 64, 1), 28, 28, pixels, error, 1000));
  EXPECT_NE(error.find("too large"), std::string::npos);
}
