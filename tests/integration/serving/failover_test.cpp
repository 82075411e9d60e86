// Router failover and autoscaling with real replicas: a replica killed while clients send
// requests costs no failed request; the restarted replica rejoins; a service scaled to zero
// activates a replica for a waiting request.
#include "tests/integration/serving/serving_env.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace dmlp;
using namespace dmlp::serving;
using namespace dmlp::serving::test;

namespace {

class failover_test : public serving_env {};

/// Sends `total` single-image requests from `threads` HTTP clients; calls `at_half` once after
/// half of them were answered. Returns the number of non-200 answers.
int client_loop(uint16_t port, int threads, int total, const std::function<void()>& at_half,
                const std::string& body) {
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::mutex mtx;
  std::condition_variable cv;
  int answered = 0;
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&] {
      httplib::Client cli{"127.0.0.1", port};
      cli.set_read_timeout(std::chrono::seconds{60});
      while (next++ < total) {
        auto res = cli.Post("/v1/models/fashion:predict", body, "application/json");
        if (!res || res->status != 200)
          ++failed;
        std::lock_guard<std::mutex> guard{mtx};
        ++answered;
        cv.notify_all();
      }
    });
  {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return answered >= total / 2; });
  }
  at_half();
  for (auto& c : clients)
    c.join();
  return failed.load();
}

} // namespace

TEST_F(failover_test, killing_a_replica_under_load_fails_no_request) {
  auto o = options(3);
  o.router.balancing = balancing_kind::round_robin;
  auto svc = start(o, 3);
  auto port = serve_http(svc);
  caf::actor victim;
  auto failed = client_loop(
      port, 4, 200,
      [&] {
        // Kill a replica while requests are in flight on it.
        caf::scoped_actor self{*sys_};
        caf::actor pool;
        self->request(svc->supervisor(), std::chrono::seconds{5}, which_children_atom::value)
            .receive(
                [&](std::vector<child_info>& children) {
                  for (auto& c : children)
                    if (c.id == "replicas")
                      pool = c.handle;
                },
                [](caf::error&) {});
        ASSERT_TRUE(pool);
        self->request(pool, std::chrono::seconds{5}, which_children_atom::value)
            .receive(
                [&](std::vector<child_info>& children) {
                  ASSERT_FALSE(children.empty());
                  victim = children.front().handle;
                },
                [](caf::error&) {});
        ASSERT_TRUE(victim);
        caf::anon_send_exit(victim, caf::exit_reason::kill);
      },
      v1_body(1));
  EXPECT_EQ(failed, 0);
  // The supervisor restarted the replica and it rejoined the router.
  auto stats = svc->await_ready(3, std::chrono::seconds{60});
  ASSERT_TRUE(stats) << describe(stats.error());
  EXPECT_EQ(stats->ready_replicas, 3u);
  EXPECT_EQ(stats->failed, 0u);
  EXPECT_GE(stats->served, 200u);
}

TEST_F(failover_test, scale_from_zero_holds_the_request_until_a_replica_is_ready) {
  auto o = options(0);
  o.autoscale.min_replicas = 0;
  o.autoscale.max_replicas = 2;
  o.autoscale.tick = std::chrono::milliseconds{20};
  o.router.cold_start_wait = std::chrono::seconds{60};
  auto svc = start(o, 0);
  auto port = serve_http(svc);
  httplib::Client cli{"127.0.0.1", port};
  cli.set_read_timeout(std::chrono::seconds{60});
  auto ready = cli.Get("/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503); // nothing runs yet
  auto res = cli.Post("/v1/models/fashion:predict", v1_body(1), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto stats = svc->await_ready(1, std::chrono::seconds{10});
  ASSERT_TRUE(stats);
  EXPECT_GE(stats->ready_replicas, 1u);
}

TEST_F(failover_test, a_request_fails_cleanly_when_no_replica_comes_in_time) {
  auto o = options(0);
  o.autoscale.min_replicas = 0;
  o.autoscale.max_replicas = 0;
  o.autoscale.tick = std::chrono::seconds{30};
  o.router.cold_start_wait = std::chrono::milliseconds{100};
  auto svc = start(o, 0);
  auto port = serve_http(svc);
  httplib::Client cli{"127.0.0.1", port};
  auto res = cli.Post("/v1/models/fashion:predict", v1_body(1), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("no_replica"), std::string::npos) << res->body;
}
