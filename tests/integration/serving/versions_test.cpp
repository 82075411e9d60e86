// Model versions: a new version is hot-swapped in under load with no failed request, and a
// canary percentage routes exactly that share of traffic to the new version.
#include "tests/integration/serving/serving_env.hpp"

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

using namespace dmlp;
using namespace dmlp::serving;
using namespace dmlp::serving::test;
using json = nlohmann::json;

namespace {

class versions_test : public serving_env {
protected:
  std::string v2_body() const {
    return json{{"inputs",
                 {{{"name", "input"},
                   {"shape", {1, 784}},
                   {"datatype", "UINT8"},
                   {"data", std::vector<int>(784, 100)}}}}}
        .dump();
  }
};

} // namespace

TEST_F(versions_test, hot_swap_under_load_fails_no_request) {
  auto o = options(2);
  o.router.version_poll = std::chrono::milliseconds{20};
  auto svc = start(o, 2);
  auto port = serve_http(svc);
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::atomic<int> answered{0};
  std::mutex mtx;
  std::map<std::string, int> versions;
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t)
    clients.emplace_back([&] {
      httplib::Client cli{"127.0.0.1", port};
      cli.set_read_timeout(std::chrono::seconds{60});
      // Bounded: at most 5,000 requests per client even if the swap never came.
      for (int i = 0; i < 5000 && !stop; ++i) {
        auto res = cli.Post("/v2/models/fashion/infer", v2_body(), "application/json");
        ++answered;
        if (!res || res->status != 200) {
          ++failed;
          continue;
        }
        std::lock_guard<std::mutex> guard{mtx};
        ++versions[json::parse(res->body)["model_version"].get<std::string>()];
      }
    });
  // Let traffic flow on version 1, publish version 2, and wait for the router to switch.
  auto answered_before = [&](int n) {
    for (int i = 0; i < 100000 && answered < n; ++i)
      std::this_thread::yield();
  };
  answered_before(30);
  ASSERT_TRUE(models::init_model(dir_, "cnn", "fashion", 2));
  caf::scoped_actor self{*sys_};
  uint32_t stable = 1;
  for (int i = 0; i < 2000 && stable != 2; ++i) {
    auto mark = answered.load();
    answered_before(mark + 1); // one more answer under load between checks
    self->request(svc->router(), std::chrono::seconds{5}, router_stats_atom::value)
        .receive([&](router_stats& s) { stable = s.stable_version; }, [](caf::error&) {});
  }
  EXPECT_EQ(stable, 2u);
  auto after = answered.load();
  answered_before(after + 30);
  stop = true;
  for (auto& c : clients)
    c.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(versions["1"], 0);
  EXPECT_GT(versions["2"], 0);
}

TEST_F(versions_test, a_canary_gets_its_percentage_then_is_promoted) {
  ASSERT_TRUE(models::init_model(dir_, "cnn", "fashion", 2)); // versions 1 and 2 exist
  auto o = options(1);
  o.router.canary_percent = 25;
  o.router.canary_duration = std::chrono::hours{1};
  o.router.version_poll = std::chrono::milliseconds{20};
  // Start on version 1 only: hide version 2 until the service runs.
  std::filesystem::rename(models::version_path(dir_, 2), dir_ + "/.hidden");
  auto svc = start(o, 1);
  std::filesystem::rename(dir_ + "/.hidden", models::version_path(dir_, 2));
  caf::scoped_actor self{*sys_};
  router_stats stats;
  // Wait (bounded) for the router to load the canary: each check is a message round trip
  // after a request through the service.
  inference_request req;
  req.samples = 1;
  req.inputs.assign(784, 50.0f);
  for (int i = 0; i < 5000 && stats.canary_version != 2; ++i) {
    self->request(svc->router(), std::chrono::seconds{5}, infer_atom::value, req)
        .receive([](inference_result&) {}, [](caf::error&) {});
    self->request(svc->router(), std::chrono::seconds{5}, router_stats_atom::value)
        .receive([&](router_stats& s) { stats = s; }, [](caf::error&) {});
  }
  ASSERT_EQ(stats.canary_version, 2u);
  EXPECT_EQ(stats.stable_version, 1u);
  std::map<uint32_t, int> hits;
  for (int i = 0; i < 100; ++i)
    self->request(svc->router(), std::chrono::seconds{5}, infer_atom::value, req)
        .receive([&](inference_result& r) { ++hits[r.version]; }, [](caf::error&) {});
  EXPECT_EQ(hits[2], 25);
  EXPECT_EQ(hits[1], 75);
  self->send(svc->router(), promote_atom::value, uint32_t{2});
  self->request(svc->router(), std::chrono::seconds{5}, router_stats_atom::value)
      .receive([&](router_stats& s) { stats = s; }, [](caf::error&) {});
  EXPECT_EQ(stats.stable_version, 2u);
  EXPECT_EQ(stats.canary_version, 0u);
}

TEST_F(versions_test, a_corrupt_new_version_is_skipped_and_the_old_one_keeps_serving) {
  auto o = options(1);
  o.router.version_poll = std::chrono::milliseconds{10};
  auto svc = start(o, 1);
  auto tmp = dir_ + "/.tmp-corrupt";
  std::filesystem::create_directories(tmp);
  std::filesystem::copy(models::version_path(dir_, 1), tmp,
                        std::filesystem::copy_options::recursive);
  std::ofstream{tmp + "/weights.dmlpw", std::ios::trunc} << "garbage";
  std::filesystem::rename(tmp, models::version_path(dir_, 2));
  caf::scoped_actor self{*sys_};
  inference_request req;
  req.samples = 1;
  req.inputs.assign(784, 50.0f);
  int ok = 0;
  for (int i = 0; i < 200; ++i)
    self->request(svc->router(), std::chrono::seconds{5}, infer_atom::value, req)
        .receive([&](inference_result& r) { ok += r.version == 1; }, [](caf::error&) {});
  EXPECT_EQ(ok, 200);
  auto stats = svc->await_ready(1, std::chrono::seconds{5});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->stable_version, 1u);
}
