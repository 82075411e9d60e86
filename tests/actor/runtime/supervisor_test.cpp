// Supervisor semantics against OTP, on the deterministic scheduler with a fake clock: which
// children restart and in which order for each strategy, restart types, intensity and
// escalation, nested trees, shutdown order and timeouts, dynamic pools, back-off, and state
// recovery through the snapshot hook.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"
#include "runtime/supervisor.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using namespace std::chrono_literals;

namespace {

using event_log = std::shared_ptr<std::vector<supervision_event>>;

caf::behavior recorder(caf::event_based_actor* self, caf::group events, event_log log) {
  self->join(events);
  return {[log](const supervision_event& event) { log->push_back(event); }};
}

caf::behavior idle_worker(caf::event_based_actor*) {
  return {[](caf::get_atom) { return 0; }};
}

// Ignores shutdown requests: only a kill stops it.
caf::behavior shutdown_ignoring_worker(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {[](caf::get_atom) { return 0; }};
}

// Exits normally on ok_atom, abnormally on close_atom.
caf::behavior quitter(caf::event_based_actor* self) {
  return {
      [self](caf::ok_atom) { self->quit(); },
      [self](caf::close_atom) { self->quit(caf::exit_reason::unhandled_exception); },
  };
}

struct counter_state {
  int64_t value = 0;
};

// A stateful child: its value comes back from the snapshot store after a restart.
caf::behavior counter(caf::stateful_actor<counter_state>* self, start_context ctx) {
  if (ctx.snapshot && ctx.snapshot->payload.size() == sizeof(int64_t))
    std::memcpy(&self->state.value, ctx.snapshot->payload.data(), sizeof(int64_t));
  auto store = ctx.snapshots;
  auto key = ctx.path;
  return {
      [self, store, key](caf::add_atom, int64_t n) {
        self->state.value += n;
        std::vector<uint8_t> bytes(sizeof(int64_t));
        std::memcpy(bytes.data(), &self->state.value, sizeof(int64_t));
        store->save(key, bytes);
        return self->state.value;
      },
      [self](caf::get_atom) { return self->state.value; },
  };
}

class supervisor_test : public ::testing::Test {
protected:
  supervisor_test() {
    services = make_services(env.sys());
    log = std::make_shared<std::vector<supervision_event>>();
    env.track(env.sys().spawn(recorder, services.events, log));
    env.run();
  }

  template <class F> child_spec counted(const std::string& id, F behavior_fn) {
    return worker(id,
                  [this, id, behavior_fn](const start_context& ctx) -> caf::expected<caf::actor> {
                    starts[id] += 1;
                    start_order.push_back(id);
                    return ctx.system.spawn(behavior_fn);
                  });
  }

  caf::actor spawn(supervisor_spec spec) {
    auto handle = spawn_supervisor(env.sys(), std::move(spec), services);
    env.track(handle);
    env.run();
    return handle;
  }

  // Sends a request from a probe actor and runs the system until the reply arrived.
  template <class T, class... Ts> std::optional<T> ask(const caf::actor& dest, Ts... xs) {
    auto result = std::make_shared<std::optional<T>>();
    auto probe = env.sys().spawn([=](caf::event_based_actor* self) {
      self->request(dest, 10s, xs...)
          .then([=](T& value) { *result = std::move(value); }, [](caf::error&) {});
    });
    env.run();
    return *result;
  }

  std::optional<caf::error> ask_error(const caf::actor& dest, terminate_child_atom atom,
                                      std::string id) {
    auto result = std::make_shared<std::optional<caf::error>>();
    env.sys().spawn([=](caf::event_based_actor* self) {
      self->request(dest, 10s, atom, id)
          .then([=]() { *result = caf::error{}; }, [=](caf::error& err) { *result = err; });
    });
    env.run();
    return *result;
  }

  // Monitors `handle`; the result holds its exit reason once it is down.
  std::shared_ptr<std::optional<caf::error>> watch(const caf::actor& handle) {
    auto down = std::make_shared<std::optional<caf::error>>();
    env.track(env.sys().spawn([=](caf::event_based_actor* self) -> caf::behavior {
      self->monitor(handle);
      self->set_down_handler([=](caf::down_msg& msg) { *down = msg.reason; });
      return {[](caf::get_atom) {}};
    }));
    env.run();
    return down;
  }

  std::vector<child_info> children(const caf::actor& sup) {
    return ask<std::vector<child_info>>(sup, which_children_atom::value).value();
  }

  caf::actor child(const caf::actor& sup, const std::string& id) {
    for (auto& c : children(sup))
      if (c.id == id)
        return c.handle;
    return {};
  }

  void kill(const caf::actor& handle, caf::exit_reason reason = caf::exit_reason::kill) {
    caf::anon_send_exit(handle, reason);
    env.run();
  }

  // The child ids of `kind` events in order, optionally only from `supervisor`.
  std::vector<std::string> events_of(supervision_event_kind kind, const std::string& sup = "") {
    std::vector<std::string> ids;
    for (auto& e : *log)
      if (e.kind == kind && (sup.empty() || e.supervisor == sup))
        ids.push_back(e.child);
    return ids;
  }

  static supervisor_spec spec_of(strategy s) {
    supervisor_spec spec{"sup", s};
    backoff_options no_delay;
    no_delay.min = 0ms;
    spec.with_backoff(no_delay).with_intensity(10, 5s);
    return spec;
  }

  dmlp::testing::deterministic_system env;
  runtime_services services;
  event_log log;
  std::map<std::string, int> starts;
  std::vector<std::string> start_order;
};

TEST_F(supervisor_test, starts_children_in_order) {
  auto sup = spawn(spec_of(strategy::one_for_one)
                       .add(counted("a", idle_worker))
                       .add(counted("b", idle_worker))
                       .add(counted("c", idle_worker)));
  EXPECT_EQ(start_order, (std::vector<std::string>{"a", "b", "c"}));
  auto counts = ask<child_counts>(sup, count_children_atom::value).value();
  EXPECT_EQ(counts.specs, 3u);
  EXPECT_EQ(counts.active, 3u);
  EXPECT_EQ(counts.workers, 3u);
  EXPECT_EQ(events_of(supervision_event_kind::started), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(services.names->get("sup/b"));
}

TEST_F(supervisor_test, one_for_one_restarts_only_the_failed_child) {
  auto sup = spawn(spec_of(strategy::one_for_one)
                       .add(counted("a", idle_worker))
                       .add(counted("b", idle_worker))
                       .add(counted("c", idle_worker)));
  auto a = child(sup, "a"), b = child(sup, "b"), c = child(sup, "c");
  kill(b);
  EXPECT_EQ(child(sup, "a"), a);
  EXPECT_EQ(child(sup, "c"), c);
  auto b2 = child(sup, "b");
  ASSERT_TRUE(b2);
  EXPECT_NE(b2, b);
  EXPECT_EQ(starts["b"], 2);
  EXPECT_EQ(starts["a"], 1);
  EXPECT_EQ(services.names->get("sup/b"), b2);
  for (auto& info : children(sup))
    EXPECT_EQ(info.restarts, info.id == "b" ? 1u : 0u);
}

TEST_F(supervisor_test, one_for_all_stops_others_in_reverse_then_restarts_all_in_order) {
  auto sup = spawn(spec_of(strategy::one_for_all)
                       .add(counted("a", idle_worker))
                       .add(counted("b", idle_worker))
                       .add(counted("c", idle_worker)));
  start_order.clear();
  kill(child(sup, "b"));
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(start_order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(events_of(supervision_event_kind::restarted),
            (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(supervisor_test, rest_for_one_restarts_the_failed_child_and_those_after_it) {
  auto sup = spawn(spec_of(strategy::rest_for_one)
                       .add(counted("a", idle_worker))
                       .add(counted("b", idle_worker))
                       .add(counted("c", idle_worker))
                       .add(counted("d", idle_worker)));
  auto a = child(sup, "a");
  start_order.clear();
  kill(child(sup, "b"));
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"b", "d", "c"}));
  EXPECT_EQ(start_order, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(child(sup, "a"), a);
}

TEST_F(supervisor_test, restart_types_follow_otp) {
  auto sup = spawn(spec_of(strategy::one_for_one)
                       .add(counted("perm", quitter).with_restart(restart_type::permanent))
                       .add(counted("trans_ok", quitter).with_restart(restart_type::transient))
                       .add(counted("trans_err", quitter).with_restart(restart_type::transient))
                       .add(counted("temp", quitter).with_restart(restart_type::temporary)));
  caf::anon_send(child(sup, "perm"), caf::ok_atom::value);
  caf::anon_send(child(sup, "trans_ok"), caf::ok_atom::value);
  caf::anon_send(child(sup, "trans_err"), caf::close_atom::value);
  caf::anon_send(child(sup, "temp"), caf::close_atom::value);
  env.run();
  EXPECT_EQ(starts["perm"], 2) << "permanent restarts even after a normal exit";
  EXPECT_EQ(starts["trans_ok"], 1) << "transient stays down after a normal exit";
  EXPECT_EQ(starts["trans_err"], 2) << "transient restarts after an abnormal exit";
  EXPECT_EQ(starts["temp"], 1) << "temporary never restarts";
  std::map<std::string, child_state> states;
  for (auto& info : children(sup))
    states[info.id] = info.state;
  EXPECT_EQ(states.count("temp"), 0u) << "a temporary child's spec is removed";
  EXPECT_EQ(states["trans_ok"], child_state::stopped);
  EXPECT_EQ(states["perm"], child_state::running);
}

TEST_F(supervisor_test, exceeding_intensity_stops_children_in_reverse_and_escalates) {
  auto spec = spec_of(strategy::one_for_one)
                  .add(counted("a", idle_worker))
                  .add(counted("b", idle_worker))
                  .add(counted("c", idle_worker));
  spec.with_intensity(2, 5s);
  auto sup = spawn(spec);
  auto exit_reason = watch(sup);
  kill(child(sup, "b"));
  kill(child(sup, "b"));
  EXPECT_EQ(starts["b"], 3);
  log->clear();
  kill(child(sup, "b"));
  EXPECT_EQ(starts["b"], 3) << "the third restart within the period is refused";
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(events_of(supervision_event_kind::escalated).size(), 1u);
  ASSERT_TRUE(exit_reason->has_value());
  EXPECT_EQ(**exit_reason, caf::error{runtime_errc::restart_intensity_exceeded});
}

TEST_F(supervisor_test, restarts_outside_the_period_do_not_accumulate) {
  auto spec = spec_of(strategy::one_for_one).add(counted("a", idle_worker));
  spec.with_intensity(1, 1s);
  auto sup = spawn(spec);
  for (int i = 0; i < 5; ++i) {
    kill(child(sup, "a"));
    env.advance(1100ms);
  }
  EXPECT_EQ(starts["a"], 6);
  EXPECT_TRUE(events_of(supervision_event_kind::escalated).empty());
}

TEST_F(supervisor_test, nested_supervisor_escalation_is_handled_by_the_parent) {
  auto inner = spec_of(strategy::one_for_one).add(counted("w", idle_worker));
  inner.name = "inner";
  inner.with_intensity(1, 5s);
  auto root =
      spawn(spec_of(strategy::one_for_one).add(counted("x", idle_worker)).add(supervisor(inner)));
  auto x = child(root, "x");
  auto inner1 = child(root, "inner");
  ASSERT_TRUE(inner1);
  kill(child(inner1, "w"));
  EXPECT_EQ(starts["w"], 2);
  kill(child(inner1, "w"));
  // inner escalated; root restarted inner, which started a fresh w.
  auto inner2 = child(root, "inner");
  ASSERT_TRUE(inner2);
  EXPECT_NE(inner2, inner1);
  EXPECT_EQ(starts["w"], 3);
  EXPECT_EQ(child(root, "x"), x) << "one_for_one: the sibling is untouched";
  EXPECT_EQ(events_of(supervision_event_kind::escalated, "sup/inner").size(), 1u);
  EXPECT_TRUE(services.names->get("sup/inner/w"));
}

TEST_F(supervisor_test, killing_a_supervisor_takes_its_children_along) {
  auto inner = spec_of(strategy::one_for_one).add(counted("w", idle_worker));
  inner.name = "inner";
  auto root = spawn(spec_of(strategy::one_for_one).add(supervisor(inner)));
  auto w1 = child(child(root, "inner"), "w");
  auto w_down = watch(w1);
  kill(child(root, "inner"));
  EXPECT_TRUE(w_down->has_value());
  EXPECT_EQ(starts["w"], 2) << "the restarted inner supervisor starts w again";
}

TEST_F(supervisor_test, shutdown_stops_children_in_reverse_order_honouring_timeouts) {
  auto sup = spawn(
      spec_of(strategy::one_for_one)
          .add(counted("a", idle_worker))
          .add(counted("b", shutdown_ignoring_worker).with_shutdown(shutdown_spec::after(2000ms)))
          .add(counted("c", idle_worker).with_shutdown(shutdown_spec::brutal_kill())));
  auto down = watch(sup);
  kill(sup, caf::exit_reason::user_shutdown);
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"c"}))
      << "b ignores the request; a must wait for it";
  EXPECT_FALSE(down->has_value());
  env.advance(1000ms);
  EXPECT_EQ(events_of(supervision_event_kind::exited).size(), 1u);
  env.advance(1100ms);
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"c", "b", "a"}));
  ASSERT_TRUE(down->has_value());
  EXPECT_EQ(**down, caf::error{caf::exit_reason::user_shutdown});
  for (auto& e : *log)
    EXPECT_NE(e.kind, supervision_event_kind::restarted);
}

TEST_F(supervisor_test, dynamic_pool_grows_shrinks_and_restarts_members) {
  auto spec = spec_of(strategy::simple_one_for_one).add(counted("member", idle_worker));
  spec.with_initial_members(2);
  auto pool = spawn(spec);
  EXPECT_EQ(children(pool).size(), 2u);
  auto added = ask<caf::actor>(pool, start_child_atom::value, std::string{"extra"}, caf::message{});
  ASSERT_TRUE(added && *added);
  auto counts = ask<child_counts>(pool, count_children_atom::value).value();
  EXPECT_EQ(counts.active, 3u);
  auto duplicate =
      ask<caf::actor>(pool, start_child_atom::value, std::string{"extra"}, caf::message{});
  EXPECT_FALSE(duplicate.has_value()) << "ids are unique in a pool";
  kill(*added);
  EXPECT_NE(child(pool, "extra"), *added);
  EXPECT_TRUE(child(pool, "extra"));
  auto err = ask_error(pool, terminate_child_atom::value, "member-1");
  ASSERT_TRUE(err.has_value());
  EXPECT_FALSE(*err);
  counts = ask<child_counts>(pool, count_children_atom::value).value();
  EXPECT_EQ(counts.specs, 2u) << "terminating a pool member removes it";
  auto unknown = ask_error(pool, terminate_child_atom::value, "nope");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(*unknown, caf::error{runtime_errc::unknown_child});
}

TEST_F(supervisor_test, static_supervisor_refuses_start_child) {
  auto sup = spawn(spec_of(strategy::one_for_one).add(counted("a", idle_worker)));
  auto result = ask<caf::actor>(sup, start_child_atom::value, std::string{"x"}, caf::message{});
  EXPECT_FALSE(result.has_value());
}

TEST_F(supervisor_test, restarts_back_off_exponentially) {
  auto spec = spec_of(strategy::one_for_one).add(counted("a", idle_worker));
  backoff_options backoff;
  backoff.min = 100ms;
  backoff.max = 1000ms;
  backoff.jitter = 0;
  spec.with_backoff(backoff).with_intensity(100, 60s);
  auto sup = spawn(spec);
  kill(child(sup, "a"));
  EXPECT_EQ(starts["a"], 1) << "waits for the back-off";
  env.advance(99ms);
  EXPECT_EQ(starts["a"], 1);
  env.advance(1ms);
  EXPECT_EQ(starts["a"], 2);
  kill(child(sup, "a"));
  env.advance(199ms);
  EXPECT_EQ(starts["a"], 2) << "second failure in a row waits twice as long";
  env.advance(1ms);
  EXPECT_EQ(starts["a"], 3);
  auto states = children(sup);
  EXPECT_EQ(states.front().state, child_state::running);
}

TEST_F(supervisor_test, failed_start_at_init_stops_started_children_and_fails) {
  auto spec = spec_of(strategy::one_for_one)
                  .add(counted("a", idle_worker))
                  .add(worker("broken", [](const start_context&) -> caf::expected<caf::actor> {
                    return caf::make_error(runtime_errc::start_failed, "no resources");
                  }));
  auto sup = spawn_supervisor(env.sys(), spec, services);
  auto down = watch(sup);
  ASSERT_TRUE(down->has_value());
  EXPECT_EQ(**down, caf::error{runtime_errc::start_failed});
  EXPECT_EQ(events_of(supervision_event_kind::start_failed), (std::vector<std::string>{"broken"}));
  EXPECT_EQ(events_of(supervision_event_kind::exited), (std::vector<std::string>{"a"}));
}

TEST_F(supervisor_test, restarted_child_resumes_from_its_snapshot) {
  auto store = std::make_shared<memory_snapshot_store>();
  auto spec = spec_of(strategy::one_for_one)
                  .add(worker("counter", [](const start_context& ctx) -> caf::expected<caf::actor> {
                         return ctx.system.spawn(counter, ctx);
                       }).with_snapshots(store));
  auto sup = spawn(spec);
  auto c1 = child(sup, "counter");
  EXPECT_EQ(ask<int64_t>(c1, caf::add_atom::value, int64_t{5}), 5);
  EXPECT_EQ(ask<int64_t>(c1, caf::add_atom::value, int64_t{7}), 12);
  kill(c1);
  auto c2 = child(sup, "counter");
  ASSERT_TRUE(c2);
  ASSERT_NE(c2, c1);
  EXPECT_EQ(ask<int64_t>(c2, caf::get_atom::value), 12) << "state came back from the snapshot";
  EXPECT_EQ(ask<int64_t>(c2, caf::add_atom::value, int64_t{1}), 13);
}

TEST_F(supervisor_test, a_sibling_dying_during_a_one_for_all_restart_is_absorbed) {
  auto sup = spawn(
      spec_of(strategy::one_for_all)
          .add(counted("a", shutdown_ignoring_worker).with_shutdown(shutdown_spec::after(1000ms)))
          .add(counted("b", idle_worker))
          .add(counted("c", idle_worker)));
  auto a = child(sup, "a");
  kill(child(sup, "c"));
  // The supervisor now waits for a, which ignores the request; a dies on its own meanwhile.
  kill(a);
  EXPECT_EQ(starts["a"], 2);
  EXPECT_EQ(starts["b"], 2);
  EXPECT_EQ(starts["c"], 2);
  for (auto& info : children(sup))
    EXPECT_EQ(info.state, child_state::running) << info.id;
}

} // namespace
