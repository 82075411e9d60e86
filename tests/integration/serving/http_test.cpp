// HTTP end to end: a real httplib client against a real server on 127.0.0.1, KServe V1 and
// OIP V2, every error case answered with a JSON error body while the server keeps serving.
#include "tests/integration/serving/serving_env.hpp"

#include <cmath>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "actors/models/model_runner.hpp"
#include "actors/serving/image_decoder.hpp"

using namespace dmlp;
using namespace dmlp::serving;
using namespace dmlp::serving::test;
using json = nlohmann::json;

namespace {

class http_test : public serving_env {
protected:
  void SetUp() override {
    serving_env::SetUp();
    svc_ = start(options(2), 2);
    rate_limit_options limits;
    limits.anonymous_concurrency = 2;
    limits.authenticated_concurrency = 3;
    limits.tokens = {"alice-secret"};
    limiter_ = std::make_shared<rate_limiter>(limits);
    http_options http;
    http.max_body_bytes = 1 << 20;
    port_ = serve_http(svc_, http, limiter_);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(std::chrono::seconds{30});
  }

  void TearDown() override {
    client_.reset(); // close the keep-alive connection before the server stops
    svc_->stop();    // the fixture holds the service past the base class's teardown
    serving_env::TearDown();
  }

  /// Posts and expects `status` with a JSON body that has an "error" when status != 200.
  json post(const std::string& path, const std::string& body, int status,
            const httplib::Headers& headers = {}) {
    auto res = client_->Post(path.c_str(), headers, body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res)
      return {};
    EXPECT_EQ(res->status, status) << path << ": " << res->body.substr(0, 200);
    auto j = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << res->body.substr(0, 200);
    if (status != 200) {
      EXPECT_TRUE(j.contains("error")) << res->body;
    }
    return j;
  }

  std::shared_ptr<model_service> svc_;
  std::shared_ptr<rate_limiter> limiter_;
  uint16_t port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

std::string png_b64(uint8_t value) {
  std::vector<uint8_t> pixels(56 * 56, value);
  std::vector<uint8_t> out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) {
        auto* o = static_cast<std::vector<uint8_t>*>(ctx);
        o->insert(o->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
      },
      &out, 56, 56, 1, pixels.data(), 56);
  return encode_base64(out);
}

} // namespace

TEST_F(http_test, health_and_metadata) {
  auto live = client_->Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto ready = client_->Get("/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto model_ready = client_->Get("/v2/models/fashion/ready");
  ASSERT_TRUE(model_ready);
  EXPECT_EQ(model_ready->status, 200);
  auto meta = client_->Get("/v2/models/fashion");
  ASSERT_TRUE(meta);
  auto j = json::parse(meta->body);
  EXPECT_EQ(j["name"], "fashion");
  EXPECT_EQ(j["versions"], json({"1"}));
  EXPECT_EQ(j["outputs"][0]["shape"], json({-1, 10}));
  auto v1 = client_->Get("/v1/models/fashion");
  ASSERT_TRUE(v1);
  EXPECT_EQ(json::parse(v1->body)["ready"], true);
  auto unknown = client_->Get("/v2/models/nope/ready");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(http_test, v1_predicts_with_the_training_preprocessing) {
  auto j = post("/v1/models/fashion:predict", v1_body(3, 255), 200);
  ASSERT_EQ(j["predictions"].size(), 3u);
  ASSERT_EQ(j["predictions"][0].size(), 10u);
  // The server divides by 255 like training did: compare with the model on inputs of 1.0.
  auto runner = models::model_runner::load(dir_, 1);
  ASSERT_TRUE(runner);
  std::vector<float> ones(784, 1.0f);
  auto expected = runner->predict(ones.data(), 1);
  ASSERT_TRUE(expected);
  double sum = 0;
  for (int c = 0; c < 10; ++c) {
    EXPECT_NEAR(j["predictions"][2][c].get<double>(), (*expected)[c], 1e-5);
    sum += j["predictions"][2][c].get<double>();
  }
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

TEST_F(http_test, v1_accepts_images) {
  json body{{"instances", {{{"b64", png_b64(255)}}}}};
  auto j = post("/v1/models/fashion:predict", body.dump(), 200);
  auto plain = post("/v1/models/fashion:predict", v1_body(1, 255), 200);
  for (int c = 0; c < 10; ++c)
    EXPECT_NEAR(j["predictions"][0][c].get<double>(), plain["predictions"][0][c].get<double>(),
                1e-5);
}

TEST_F(http_test, v2_infers_typed_tensors) {
  json body{{"id", "r-1"},
            {"inputs",
             {{{"name", "input"},
               {"shape", {2, 28, 28}},
               {"datatype", "UINT8"},
               {"data", std::vector<int>(2 * 784, 255)}}}}};
  auto j = post("/v2/models/fashion/infer", body.dump(), 200);
  EXPECT_EQ(j["id"], "r-1");
  EXPECT_EQ(j["model_name"], "fashion");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["outputs"][0]["shape"], json({2, 10}));
  EXPECT_EQ(j["outputs"][0]["data"].size(), 20u);
}

TEST_F(http_test, every_bad_request_is_a_4xx_with_a_json_error) {
  post("/v1/models/fashion:predict", "{\"instances\": [", 400);         // malformed JSON
  post("/v1/models/fashion:predict", "{\"instances\": [[1, 2]]}", 400); // wrong shape
  post("/v1/models/fashion:predict", "{\"instances\": [[NaN]]}", 400);  // NaN
  post("/v1/models/fashion:predict",
       json{{"instances", {std::vector<std::string>(784, "x")}}}.dump(), 400); // dtype
  post("/v2/models/fashion/infer",
       json{{"inputs",
             {{{"name", "input"},
               {"shape", {1, 784}},
               {"datatype", "UINT8"},
               {"data", std::vector<double>(784, 0.5)}}}}}
           .dump(),
       400);                                           // fractional values in an integer tensor
  post("/v1/models/unknown:predict", v1_body(1), 404); // unknown model
  post("/v2/models/unknown/infer", v1_body(1), 404);
  post("/v1/models/fashion:predict", std::string(2 << 20, ' '), 413); // body over limit
  post("/v1/nothing/here", "{}", 404);                                // unknown route
  post("/v1/models/fashion:predict", v1_body(1), 401,
       {{"Authorization", "Bearer wrong-token"}}); // unknown token
  // ... and the server still serves.
  post("/v1/models/fashion:predict", v1_body(1), 200);
}

TEST_F(http_test, rate_limits_per_client_class_with_a_clear_429) {
  // Hold both anonymous slots; a third anonymous request is refused, an authenticated one
  // (its own limit of 3) is served.
  auto a = limiter_->try_acquire(client_class::anonymous);
  auto b = limiter_->try_acquire(client_class::anonymous);
  ASSERT_TRUE(a && b);
  auto res = client_->Post("/v1/models/fashion:predict", v1_body(1), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_NE(json::parse(res->body)["error"].get<std::string>().find("limit 2"), std::string::npos);
  post("/v1/models/fashion:predict", v1_body(1), 200, {{"Authorization", "Bearer alice-secret"}});
  a.reset();
  post("/v1/models/fashion:predict", v1_body(1), 200);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("dmlp_serving_rate_limited_total{class=\"anonymous\"} 1"),
            std::string::npos)
      << metrics->body;
}

TEST_F(http_test, metrics_expose_requests_latency_batches_queue_and_replicas) {
  post("/v1/models/fashion:predict", v1_body(2), 200);
  post("/v1/models/fashion:predict", "{", 400);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  auto& text = res->body;
  for (auto needle :
       {"dmlp_serving_requests_total{code=\"200\",model=\"fashion\",protocol=\"v1\"} 1",
        "dmlp_serving_requests_total{code=\"400\",model=\"fashion\",protocol=\"v1\"} 1",
        "dmlp_serving_request_duration_seconds_bucket", "dmlp_serving_batch_size_bucket",
        "dmlp_serving_batch_queue_wait_seconds", "dmlp_serving_batches_total",
        "dmlp_serving_queue_depth{model=\"fashion\"}",
        "dmlp_serving_replicas{model=\"fashion\",state=\"ready\"} 2"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
}
