// Chaos: 220 random kills across the demo's three-level tree under its steady workload, on
// real threads. After each kill the test waits (on supervision events, not sleeps) until the
// killed actor's path is served by a new instance. At the end the tree is whole, restarts stay
// proportional to kills (no runaway loop), and the workload's results are exact: every issued
// item committed exactly once, value sum exact, and the redone items within what the kills may
// lose (apps/demo/supervision_demo.hpp defines that bound).
#include <chrono>
#include <map>
#include <memory>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "apps/demo/supervision_demo.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/fault_injector.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using namespace std::chrono_literals;

namespace {

constexpr int kill_count = 220;
constexpr uint32_t workers = 4;

} // namespace

TEST(supervision_chaos, random_kills_under_load_lose_nothing_beyond_in_flight_items) {
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto services = make_services(sys, nullptr, 7);
  auto store = std::make_shared<memory_snapshot_store>();
  demo::demo_options options;
  options.workers = workers;
  options.pool_restarts_per_second = 10;
  auto root = spawn_supervisor(sys, demo::make_demo_spec(options, store), services);
  fault_injector injector{sys, root, "demo", 2026};
  caf::scoped_actor self{sys};
  self->join(services.events);
  self->monitor(root);

  uint64_t restarts = 0, escalations = 0, loss_allowed = 0;
  std::map<std::string, int> kills_by_path;
  bool root_alive = true;
  for (int i = 0; i < kill_count && root_alive; ++i) {
    // Every 20th kill takes a supervisor or any worker; the rest take workers.
    auto killed = injector.kill_random("demo", caf::exit_reason::kill, i % 20 == 19);
    ASSERT_TRUE(killed) << describe(killed.error());
    kills_by_path[killed->path] += 1;
    loss_allowed += demo::loss_bound(killed->path, workers);
    bool replaced = false;
    while (!replaced && root_alive) {
      self->receive(
          [&](const supervision_event& event) {
            if (event.kind == supervision_event_kind::restarted)
              ++restarts;
            if (event.kind == supervision_event_kind::escalated) {
              ++escalations;
              loss_allowed += workers;
            }
          },
          [&](const caf::down_msg&) { root_alive = false; },
          caf::after(30s) >> [&] { FAIL() << "no replacement for " << killed->path; });
      auto current = services.names->get(killed->path);
      replaced = current && current != killed->handle;
      if (!replaced && killed->path.rfind("demo/workers/", 0) == 0) {
        // After a pool escalation members come back under fresh ids: any full pool will do.
        replaced = services.names->list("demo/workers/").size() == workers &&
                   !services.names->get(killed->path);
      }
      if (::testing::Test::HasFatalFailure())
        return;
    }
  }
  ASSERT_TRUE(root_alive) << "the root supervisor must survive";

  auto entries = injector.walk();
  ASSERT_TRUE(entries);
  size_t squarers = 0, others = 0;
  for (auto& entry : *entries)
    (entry.path.rfind("demo/workers/", 0) == 0 ? squarers : others) += 1;
  EXPECT_EQ(squarers, workers) << "the pool is whole";
  EXPECT_EQ(others, 3u) << "ledger, workers supervisor and dispatcher are running";

  auto totals = demo::drain(sys, services);
  ASSERT_TRUE(totals) << describe(totals.error());
  EXPECT_GT(totals->issued, static_cast<uint64_t>(kill_count)) << "work went on during the kills";
  EXPECT_EQ(totals->committed, totals->issued) << "every issued item committed";
  EXPECT_EQ(totals->value_sum, demo::expected_sum(totals->issued)) << "each exactly once";
  EXPECT_LE(totals->lost, loss_allowed) << "lost only what was in flight at killed actors";
  // Each kill restarts its target; an escalation or a supervisor kill also restarts the
  // pool's members. Anything beyond that would be a restart loop.
  EXPECT_GE(restarts, static_cast<uint64_t>(kill_count) - escalations);
  EXPECT_LE(restarts, static_cast<uint64_t>(kill_count) * (workers + 2));
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {}, caf::after(30s) >> [] { FAIL() << "no shutdown"; });
}
