// Shared set-up of the serving integration tests: a temporary model directory initialised
// with a fixed seed, a threaded actor system configured like every dmlp system, services
// started through model_service and an HTTP front end on 127.0.0.1 with a free port.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/models/model_artifact.hpp"
#include "actors/serving/errors.hpp"
#include "actors/serving/http_frontend.hpp"
#include "actors/serving/model_service.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::serving::test {

class serving_env : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("dmlp-serving-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    auto v = models::init_model(dir_, "cnn", "fashion", 1);
    ASSERT_TRUE(v) << describe(v.error());
    runtime::configure_actor_system(cfg_);
    register_serving_errors(cfg_);
    cfg_.set("scheduler.max-threads", 4);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    metrics_ = std::make_shared<serving_metrics>();
  }

  void TearDown() override {
    if (front_)
      front_->stop();
    front_.reset();
    services_.clear();
    sys_.reset();
    std::filesystem::remove_all(dir_);
  }

  serving_options options(uint32_t replicas) const {
    serving_options o;
    o.model_dir = dir_;
    o.name = "fashion";
    o.replicas = replicas;
    o.replica.batching.max_delay_us = 500;
    o.router.version_poll = std::chrono::milliseconds{0};
    return o;
  }

  /// Starts a service and waits until `ready` replicas serve.
  std::shared_ptr<model_service> start(serving_options o, uint32_t ready) {
    auto svc = model_service::start(*sys_, o, runtime::make_services(*sys_), metrics_);
    EXPECT_TRUE(svc) << describe(svc.error());
    if (!svc)
      return nullptr;
    services_.push_back(*svc);
    auto stats = (*svc)->await_ready(ready, std::chrono::seconds{60});
    EXPECT_TRUE(stats) << describe(stats.error());
    return *svc;
  }

  /// Starts the HTTP front end over `svc` on 127.0.0.1; returns the port.
  uint16_t serve_http(const std::shared_ptr<model_service>& svc, http_options http = {},
                      std::shared_ptr<rate_limiter> limiter = nullptr) {
    http.host = "127.0.0.1";
    http.port = 0;
    front_ = std::make_unique<http_frontend>(*sys_, http, metrics_, std::move(limiter));
    front_->add_model(served_model{svc->name(), [svc] { return svc->router(); }, svc->prep(),
                                   svc->classes(), dir_});
    auto port = front_->start();
    EXPECT_TRUE(port) << describe(port.error());
    return port ? *port : 0;
  }

  /// A V1 body of `n` flat instances of raw value `v`.
  static std::string v1_body(int n, double v = 128) {
    nlohmann::json inst = std::vector<double>(784, v);
    nlohmann::json body{{"instances", nlohmann::json::array()}};
    for (int i = 0; i < n; ++i)
      body["instances"].push_back(inst);
    return body.dump();
  }

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::shared_ptr<serving_metrics> metrics_;
  std::vector<std::shared_ptr<model_service>> services_;
  std::unique_ptr<http_frontend> front_;
  std::string dir_;
};

} // namespace dmlp::serving::test
