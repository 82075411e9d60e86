// The fault injector on a real actor system: kill by path, by actor id, at random inside a
// subtree (workers only unless supervisors are asked for), with the chosen exit reason; unknown
// targets are errors. Synchronises on supervision events.
#include <set>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"
#include "runtime/fault_injector.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using namespace std::chrono_literals;

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](caf::get_atom) { return 0; }};
}

start_function spawn_idle() {
  return
      [](const start_context& ctx) -> caf::expected<caf::actor> { return ctx.system.spawn(idle); };
}

class fault_injector_test : public ::testing::Test {
protected:
  fault_injector_test() : sys(configured()) {
    services = make_services(sys);
    supervisor_spec left{"left", strategy::one_for_one};
    left.with_intensity(100, 1s).add(worker("a", spawn_idle())).add(worker("b", spawn_idle()));
    supervisor_spec right{"right", strategy::one_for_one};
    right.with_intensity(100, 1s).add(worker("c", spawn_idle()));
    supervisor_spec spec{"top", strategy::one_for_one};
    spec.with_intensity(100, 1s).add(supervisor(left)).add(supervisor(right));
    self->join(services.events);
    root = spawn_supervisor(sys, spec, services);
    wait_for("top/right/c", supervision_event_kind::started);
  }

  ~fault_injector_test() override { self->send_exit(root, caf::exit_reason::user_shutdown); }

  static caf::actor_system_config& configured() {
    static caf::actor_system_config cfg;
    static bool once = [] {
      configure_actor_system(cfg);
      return true;
    }();
    (void)once;
    return cfg;
  }

  // Waits for an event about `path` of `kind` (events may arrive in any order across
  // supervisors, so earlier unmatched ones are kept); returns it.
  supervision_event wait_for(const std::string& path, supervision_event_kind kind) {
    auto matches = [&](const supervision_event& e) {
      return e.supervisor + "/" + e.child == path && e.kind == kind;
    };
    for (auto i = seen.begin(); i != seen.end(); ++i)
      if (matches(*i)) {
        auto found = *i;
        seen.erase(i);
        return found;
      }
    supervision_event found;
    bool done = false;
    while (!done)
      self->receive(
          [&](const supervision_event& e) {
            if (matches(e)) {
              found = e;
              done = true;
            } else {
              seen.push_back(e);
            }
          },
          caf::after(10s) >>
              [&] {
                ADD_FAILURE() << "no " << to_string(kind) << " event for " << path;
                done = true;
              });
    return found;
  }

  std::vector<supervision_event> seen;
  caf::actor_system sys;
  runtime_services services;
  caf::scoped_actor self{sys};
  caf::actor root;
};

} // namespace

TEST_F(fault_injector_test, walks_the_whole_tree) {
  fault_injector injector{sys, root, "top", 1};
  auto entries = injector.walk();
  ASSERT_TRUE(entries);
  std::set<std::string> paths;
  for (auto& e : *entries)
    paths.insert(e.path);
  EXPECT_EQ(paths, (std::set<std::string>{"top/left", "top/left/a", "top/left/b", "top/right",
                                          "top/right/c"}));
}

TEST_F(fault_injector_test, kills_by_name_with_the_chosen_reason) {
  fault_injector injector{sys, root, "top", 1};
  auto killed = injector.kill_by_name("top/left/b", caf::exit_reason::unhandled_exception);
  ASSERT_TRUE(killed);
  auto exited = wait_for("top/left/b", supervision_event_kind::exited);
  EXPECT_NE(exited.reason.find("unhandled_exception"), std::string::npos) << exited.reason;
  wait_for("top/left/b", supervision_event_kind::restarted);
  auto missing = injector.kill_by_name("top/left/zz", caf::exit_reason::kill);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), caf::error{runtime_errc::no_such_target});
}

TEST_F(fault_injector_test, kills_by_actor_id) {
  fault_injector injector{sys, root, "top", 1};
  auto c = services.names->get("top/right/c");
  ASSERT_TRUE(c);
  auto killed = injector.kill_by_id(c.id(), caf::exit_reason::kill);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->path, "top/right/c");
  wait_for("top/right/c", supervision_event_kind::restarted);
  EXPECT_NE(services.names->get("top/right/c"), c);
  EXPECT_FALSE(injector.kill_by_id(c.id(), caf::exit_reason::kill)) << "that instance is gone";
}

TEST_F(fault_injector_test, random_kills_stay_inside_the_subtree) {
  fault_injector injector{sys, root, "top", 99};
  std::set<std::string> hit;
  for (int i = 0; i < 20; ++i) {
    auto killed = injector.kill_random("top/left", caf::exit_reason::kill);
    ASSERT_TRUE(killed) << describe(killed.error());
    hit.insert(killed->path);
    wait_for(killed->path, supervision_event_kind::restarted);
  }
  EXPECT_EQ(hit, (std::set<std::string>{"top/left/a", "top/left/b"}));
  std::set<std::string> with_supervisors;
  for (int i = 0; i < 30 && with_supervisors.count("top/right") == 0; ++i) {
    auto killed = injector.kill_random("top", caf::exit_reason::kill, true);
    ASSERT_TRUE(killed);
    with_supervisors.insert(killed->path);
    wait_for(killed->path, supervision_event_kind::restarted);
    if (killed->path == "top/left" || killed->path == "top/right")
      wait_for(killed->path + (killed->path == "top/left" ? "/b" : "/c"),
               supervision_event_kind::started);
  }
  EXPECT_TRUE(with_supervisors.count("top/right") || with_supervisors.count("top/left"));
  EXPECT_FALSE(injector.kill_random("top/nowhere", caf::exit_reason::kill));
  EXPECT_EQ(parse_exit_reason("shutdown"), caf::error{caf::exit_reason::user_shutdown});
  EXPECT_FALSE(parse_exit_reason("explode").has_value());
}
