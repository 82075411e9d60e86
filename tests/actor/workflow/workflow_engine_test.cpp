// The workflow engine on CAF's deterministic scheduler with a real metadata actor (SQLite in a
// temp dir) and fake step types: order, fan-out/fan-in (values and artifacts), async edges,
// retries with back-off, OOM retries with more memory, timeouts, the exit handler,
// memoization (hit, expiry, content change, parameter change) and resume after the engine is
// killed under its supervisor. Time is the test coordinator's clock; no sleeps.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "actors/workflow/workflow_engine.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::workflow;
using namespace std::chrono_literals;

namespace {

using release_atom = caf::atom_constant<caf::atom("release")>;

/// What the fake steps saw.
struct trace {
  std::vector<std::string> starts;
  std::map<std::string, int> calls;
  std::vector<uint64_t> memory;
  std::vector<json> params;
  std::string token = "v1";
};

/// What the listener saw.
struct outcome {
  bool done = false;
  std::string status;
  std::string failure;
  std::vector<std::pair<std::string, std::string>> steps;
};

json params_of(const step_request& req) {
  return json::parse(req.parameters);
}

step_reply echo(const step_request& req) {
  step_reply r;
  r.outputs = req.parameters;
  return r;
}

/// Replies after params.delay_ms on the scheduler's clock.
caf::behavior delayed_step(caf::event_based_actor* self, std::shared_ptr<trace> t) {
  auto pending = std::make_shared<std::map<int, caf::typed_response_promise<step_reply>>>();
  auto replies = std::make_shared<std::map<int, step_reply>>();
  auto next = std::make_shared<int>(0);
  return {
      [=](step_run_atom, const step_request& req) {
        t->starts.push_back(req.instance);
        t->calls[req.instance]++;
        auto id = (*next)++;
        (*pending)[id] = self->make_response_promise<step_reply>();
        (*replies)[id] = echo(req);
        self->delayed_send(self, std::chrono::milliseconds{params_of(req).value("delay_ms", 0)},
                           release_atom::value, id);
        return (*pending)[id];
      },
      [=](release_atom, int id) { (*pending)[id].deliver((*replies)[id]); },
  };
}

/// Never answers (keeps its promises so nothing is delivered).
caf::behavior hanging_step(caf::event_based_actor* self, std::shared_ptr<trace> t, bool once) {
  auto held = std::make_shared<std::vector<caf::typed_response_promise<step_reply>>>();
  return {
      [=](step_run_atom, const step_request& req) -> caf::result<step_reply> {
        t->starts.push_back(req.instance);
        if (once && t->calls[req.instance]++ > 0)
          return echo(req);
        if (!once)
          t->calls[req.instance]++;
        held->push_back(self->make_response_promise<step_reply>());
        return held->back();
      },
  };
}

class engine_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dmlp-wf-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    runtime::configure_actor_system(cfg_, runtime::scheduler_kind::deterministic);
    metadata::register_metadata_errors(cfg_);
    register_workflow_errors(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
    md_options_.path = (dir_ / "metadata.db").string();
    md_options_.batch_interval = 0ms;
    md_options_.sample_interval = 0ms;
    metadata::actor_options how;
    how.dedicated_thread = false;
    how.clock = [this] { return now_ms_; };
    auto md = metadata::spawn_metadata_actor(*sys_, md_options_, how);
    ASSERT_TRUE(md) << describe(md.error());
    metadata_ = *md;
    keep(metadata_);
    sched_->run();
    registry_ = std::make_shared<step_registry>();
    register_builtin_steps(*registry_);
    auto t = trace_;
    registry_->add_function("trace", 1, [t](const step_request& req) -> caf::expected<step_reply> {
      t->starts.push_back(req.instance);
      t->calls[req.instance]++;
      t->params.push_back(params_of(req));
      return echo(req);
    });
    registry_->add_function("flaky", 1, [t](const step_request& req) -> caf::expected<step_reply> {
      auto p = params_of(req);
      if (t->calls[req.instance]++ < p.value("failures", 0))
        return caf::make_error(static_cast<step_errc>(p.value("code", 4)), "flaky");
      return echo(req);
    });
    registry_->add_function("oom", 1, [t](const step_request& req) -> caf::expected<step_reply> {
      t->calls[req.instance]++;
      t->memory.push_back(req.memory_limit_mb);
      if (req.memory_limit_mb < params_of(req).value("need_mb", 0u))
        return caf::make_error(step_errc::out_of_memory, "needs more");
      return echo(req);
    });
    registry_->add_function(
        "count", 1,
        [t](const step_request& req) -> caf::expected<step_reply> {
          t->calls[req.step]++;
          step_reply r;
          r.outputs = json{{"calls", t->calls[req.step]}}.dump();
          return r;
        },
        [t](const step_request&) -> caf::expected<std::string> { return t->token; });
    registry_->add(step_type{"delayed", 1,
                             [t](caf::actor_system& sys) { return sys.spawn(delayed_step, t); }});
    registry_->add(step_type{
        "hang", 1, [t](caf::actor_system& sys) { return sys.spawn(hanging_step, t, false); }});
    registry_->add(step_type{
        "hang_once", 1, [t](caf::actor_system& sys) { return sys.spawn(hanging_step, t, true); }});
  }

  void TearDown() override {
    for (auto& a : actors_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    sched_->run();
    while (sched_->trigger_timeouts())
      sched_->run();
    sys_.reset();
    std::filesystem::remove_all(dir_);
  }

  void keep(caf::actor a) { actors_.push_back(std::move(a)); }

  caf::actor listener(std::shared_ptr<outcome> o) {
    auto l = sys_->spawn([o](caf::event_based_actor*) -> caf::behavior {
      return {
          [o](wf_step_atom, const std::string&, const std::string& instance,
              const std::string& state) { o->steps.emplace_back(instance, state); },
          [o](wf_done_atom, const std::string&, const std::string& status,
              const std::string& failure) {
            o->done = true;
            o->status = status;
            o->failure = failure;
          },
      };
    });
    keep(l);
    return l;
  }

  run_setup setup_for(std::optional<workflow_spec> spec, const std::string& run_id,
                      std::shared_ptr<outcome> o) {
    run_setup setup;
    setup.run_id = run_id;
    setup.spec = std::move(spec);
    setup.registry = registry_;
    setup.metadata = metadata_;
    setup.listener = listener(o);
    setup.options.artifact_root = (dir_ / "artifacts").string();
    setup.options.sample_interval = 0ms;
    setup.clock = [this] { return now_ms_; };
    return setup;
  }

  std::shared_ptr<outcome> start(workflow_spec spec, const std::string& run_id) {
    auto o = std::make_shared<outcome>();
    keep(spawn_workflow_run(*sys_, setup_for(std::move(spec), run_id, o)));
    sched_->run();
    return o;
  }

  void tick(std::chrono::milliseconds d) {
    sched_->advance_time(d);
    sched_->run();
  }

  md_run_detail detail(const std::string& run) {
    metadata::metadata_options ro = md_options_;
    ro.read_only = true;
    auto store = metadata::metadata_store::open(ro, 0);
    EXPECT_TRUE(store) << describe(store.error());
    auto d = (*store)->show_run(run);
    EXPECT_TRUE(d) << describe(d.error());
    return d ? *d : md_run_detail{};
  }

  std::map<std::string, int> states(const md_run_detail& d, const std::string& state) {
    std::map<std::string, int> out;
    for (const auto& x : d.executions)
      if (x.state == state)
        out[x.name]++;
    return out;
  }

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::filesystem::path dir_;
  metadata::metadata_options md_options_;
  caf::actor metadata_;
  std::vector<caf::actor> actors_;
  std::shared_ptr<step_registry> registry_;
  std::shared_ptr<trace> trace_ = std::make_shared<trace>();
  int64_t now_ms_ = 1'000'000;
};

} // namespace

TEST_F(engine_test, runs_steps_in_dependency_order_with_fan_out_and_fan_in) {
  workflow_spec w{"fan"};
  w.add(step_spec{"make", "range"}.with_parameter("count", 4))
      .add(step_spec{"square", "square"}
               .after("make")
               .for_each("{{steps.make.outputs.items}}")
               .with_parameter("x", "{{item}}"))
      .add(step_spec{"total", "sum"}.after("square").with_parameter("values",
                                                                    "{{steps.square.outputs.y}}"))
      .add(step_spec{"report", "trace"}.after("total").with_parameter(
          "line", "total={{steps.total.outputs.sum}} of {{steps.total.outputs.count}}"));
  auto o = start(w, "fan-1");
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "succeeded") << o->failure;
  ASSERT_EQ(trace_->params.size(), 1u);
  EXPECT_EQ(trace_->params[0]["line"], "total=14.0 of 4");
  auto d = detail("fan-1");
  EXPECT_EQ(d.context.state, "succeeded");
  auto complete = states(d, "complete");
  EXPECT_EQ(complete.size(), 7u);
  EXPECT_EQ(complete["square[3]"], 1);
  // Order: every square after make, total after every square.
  std::map<std::string, int64_t> id;
  for (const auto& x : d.executions)
    id[x.name] = x.id;
  for (int i = 0; i < 4; ++i) {
    EXPECT_LT(id["make"], id["square[" + std::to_string(i) + "]"]);
    EXPECT_LT(id["square[" + std::to_string(i) + "]"], id["total"]);
  }
}

TEST_F(engine_test, fan_in_collects_artifacts_of_a_fan_out) {
  workflow_spec w{"files"};
  w.add(step_spec{"write", "write_file"}
            .for_each(json::array({"a", "b", "c"}))
            .with_parameter("name", "{{item}}.txt")
            .with_parameter("content", "{{item}}"))
      .add(step_spec{"join", "concat"}.after("write").with_parameter("name", "all.txt"));
  auto o = start(w, "files-1");
  ASSERT_TRUE(o->done);
  ASSERT_EQ(o->status, "succeeded") << o->failure;
  auto d = detail("files-1");
  int64_t join_id = 0;
  for (const auto& x : d.executions)
    if (x.name == "join") {
      join_id = x.id;
      EXPECT_EQ(json::parse(x.outputs)["bytes"], 3);
      EXPECT_EQ(json::parse(x.outputs)["inputs"], 3);
    }
  int inputs = 0;
  int64_t joined = 0;
  for (const auto& e : d.events)
    if (e.execution_id == join_id) {
      inputs += e.kind == "INPUT";
      if (e.kind == "OUTPUT")
        joined = e.artifact_id;
    }
  EXPECT_EQ(inputs, 3);
  metadata::metadata_options ro = md_options_;
  ro.read_only = true;
  auto store = metadata::metadata_store::open(ro, 0);
  auto up = (*store)->lineage(joined, metadata::lineage_direction::upstream);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->artifacts.size(), 3u);
  EXPECT_EQ(up->executions.size(), 4u);
}

TEST_F(engine_test, async_edge_starts_on_first_result_and_reruns_on_better_ones) {
  workflow_spec w{"serve-first"};
  w.add(step_spec{"train", "delayed"}
            .for_each(json::array({json{{"delay_ms", 10}, {"accuracy", 0.5}},
                                   json{{"delay_ms", 20}, {"accuracy", 0.9}},
                                   json{{"delay_ms", 30}, {"accuracy", 0.7}}}))
            .with_parameter("delay_ms", "{{item.delay_ms}}")
            .with_parameter("accuracy", "{{item.accuracy}}"))
      .add(step_spec{"serve", "trace"}
               .after_async("train", "accuracy")
               .with_parameter("model_accuracy", "{{steps.train.best.accuracy}}"));
  auto o = start(w, "async-1");
  EXPECT_TRUE(trace_->params.empty());
  tick(10ms);
  ASSERT_EQ(trace_->params.size(), 1u);
  EXPECT_EQ(trace_->params[0]["model_accuracy"], 0.5);
  EXPECT_FALSE(o->done);
  tick(10ms);
  ASSERT_EQ(trace_->params.size(), 2u);
  EXPECT_EQ(trace_->params[1]["model_accuracy"], 0.9);
  tick(10ms);
  // 0.7 is not better than 0.9: no third run.
  EXPECT_EQ(trace_->params.size(), 2u);
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "succeeded") << o->failure;
  auto complete = states(detail("async-1"), "complete");
  EXPECT_EQ(complete["serve"], 1);
  EXPECT_EQ(complete["serve#2"], 1);
}

TEST_F(engine_test, transient_failures_are_retried_with_backoff) {
  workflow_spec w{"retry"};
  retry_spec retry;
  retry.limit = 3;
  retry.backoff = 100ms;
  retry.factor = 2;
  w.add(step_spec{"flaky", "flaky"}.with_parameter("failures", 2).with_retry(retry));
  auto o = start(w, "retry-1");
  EXPECT_EQ(trace_->calls["flaky"], 1);
  tick(99ms);
  EXPECT_EQ(trace_->calls["flaky"], 1);
  tick(1ms);
  EXPECT_EQ(trace_->calls["flaky"], 2);
  tick(199ms);
  EXPECT_EQ(trace_->calls["flaky"], 2);
  tick(1ms);
  EXPECT_EQ(trace_->calls["flaky"], 3);
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "succeeded");
  auto d = detail("retry-1");
  EXPECT_EQ(states(d, "failed")["flaky"], 2);
  EXPECT_EQ(states(d, "complete")["flaky"], 1);
  EXPECT_EQ(d.executions.back().attempt, 2u);
}

TEST_F(engine_test, permanent_failures_are_not_retried_unless_policy_is_always) {
  retry_spec retry;
  retry.limit = 3;
  retry.backoff = 10ms;
  workflow_spec w{"perm"};
  // code 2 = data_missing: permanent.
  w.add(step_spec{"gone", "flaky"}
            .with_parameter("failures", 1)
            .with_parameter("code", 2)
            .with_retry(retry))
      .add(step_spec{"after", "trace"}.after("gone"));
  auto o = start(w, "perm-1");
  tick(10ms);
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "failed");
  EXPECT_NE(o->failure.find("data_missing"), std::string::npos) << o->failure;
  EXPECT_EQ(trace_->calls["gone"], 1);
  EXPECT_EQ(trace_->calls["after"], 0);
  auto props = json::parse(detail("perm-1").context.properties);
  EXPECT_EQ(props["skipped"], json::array({"after"}));

  trace_->calls.clear();
  retry.on = retry_on::always;
  workflow_spec w2{"perm-always"};
  w2.add(step_spec{"gone", "flaky"}
             .with_parameter("failures", 1)
             .with_parameter("code", 2)
             .with_retry(retry));
  auto o2 = start(w2, "perm-2");
  tick(10ms);
  ASSERT_TRUE(o2->done);
  EXPECT_EQ(o2->status, "succeeded");
  EXPECT_EQ(trace_->calls["gone"], 2);
}

TEST_F(engine_test, out_of_memory_is_retried_with_more_memory) {
  retry_spec retry;
  retry.limit = 3;
  retry.backoff = 10ms;
  workflow_spec w{"oom"};
  auto step = step_spec{"big", "oom"}.with_parameter("need_mb", 300).with_retry(retry);
  step.memory_mb = 100;
  w.add(step);
  auto o = start(w, "oom-1");
  tick(10ms);
  tick(20ms);
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "succeeded");
  EXPECT_EQ(trace_->memory, (std::vector<uint64_t>{100, 200, 400}));
}

TEST_F(engine_test, timeouts_fail_the_run_and_the_exit_handler_sees_it) {
  retry_spec retry;
  retry.limit = 1;
  retry.backoff = 10ms;
  workflow_spec w{"slow"};
  w.add(step_spec{"stuck", "hang"}.with_timeout(50ms).with_retry(retry))
      .on_exit(step_spec{"notify", "trace"}
                   .with_parameter("status", "{{workflow.status}}")
                   .with_parameter("why", "{{workflow.failure}}"));
  auto o = start(w, "slow-1");
  tick(49ms);
  EXPECT_FALSE(o->done);
  tick(1ms);
  tick(10ms);
  EXPECT_EQ(trace_->calls["stuck"], 2);
  tick(50ms);
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "failed");
  ASSERT_EQ(trace_->params.size(), 1u);
  EXPECT_EQ(trace_->params[0]["status"], "failed");
  EXPECT_NE(trace_->params[0]["why"].get<std::string>().find("step_timeout"), std::string::npos);
  auto d = detail("slow-1");
  EXPECT_EQ(states(d, "failed")["stuck"], 2);
  EXPECT_EQ(states(d, "complete")["notify"], 1);
}

TEST_F(engine_test, exit_handler_runs_after_success_too) {
  workflow_spec w{"ok"};
  w.add(step_spec{"a", "noop"})
      .on_exit(step_spec{"notify", "trace"}.with_parameter("status", "{{workflow.status}}"));
  auto o = start(w, "ok-1");
  ASSERT_TRUE(o->done);
  EXPECT_EQ(o->status, "succeeded");
  ASSERT_EQ(trace_->params.size(), 1u);
  EXPECT_EQ(trace_->params[0]["status"], "succeeded");
}

TEST_F(engine_test, memoization_hits_expires_and_follows_content_and_parameters) {
  auto make = [](int x) {
    workflow_spec w{"memo"};
    w.add(step_spec{"cached", "count"}.with_parameter("x", x).memoized(3600s));
    return w;
  };
  auto run = [&](int x, const std::string& id) {
    auto o = start(make(x), id);
    EXPECT_TRUE(o->done);
    EXPECT_EQ(o->status, "succeeded") << o->failure;
    return detail(id);
  };
  run(1, "m1");
  EXPECT_EQ(trace_->calls["cached"], 1);
  auto hit = run(1, "m2");
  EXPECT_EQ(trace_->calls["cached"], 1);
  EXPECT_EQ(states(hit, "memoized")["cached"], 1);
  EXPECT_EQ(json::parse(hit.executions.back().outputs)["calls"], 1);
  now_ms_ += 2 * 3600 * 1000;
  run(1, "m3");
  EXPECT_EQ(trace_->calls["cached"], 2) << "expired entries are not reused";
  run(1, "m4");
  EXPECT_EQ(trace_->calls["cached"], 2);
  trace_->token = "v2";
  run(1, "m5");
  EXPECT_EQ(trace_->calls["cached"], 3) << "a changed content token invalidates";
  run(2, "m6");
  EXPECT_EQ(trace_->calls["cached"], 4) << "other parameters, other key";
  run(2, "m7");
  EXPECT_EQ(trace_->calls["cached"], 4);
}

TEST_F(engine_test, failures_are_not_memoized) {
  workflow_spec w{"memo-fail"};
  w.add(step_spec{"f", "flaky"}.with_parameter("failures", 1).memoized());
  auto o1 = start(w, "mf1");
  EXPECT_EQ(o1->status, "failed");
  auto o2 = start(w, "mf2");
  EXPECT_EQ(o2->status, "succeeded");
  EXPECT_EQ(trace_->calls["f"], 2);
  EXPECT_EQ(states(detail("mf2"), "complete")["f"], 1);
}

TEST_F(engine_test, killed_engine_resumes_without_redoing_finished_steps) {
  workflow_spec w{"resume"};
  w.add(step_spec{"a", "trace"})
      .add(step_spec{"b", "hang_once"}.after("a"))
      .add(step_spec{"c", "trace"}.after("b"));
  auto o = std::make_shared<outcome>();
  runtime::supervisor_spec tree{"wf", runtime::strategy::one_for_one};
  tree.add(workflow_run_child(setup_for(w, "res-1", o)));
  auto services = runtime::make_services(*sys_);
  auto root = runtime::spawn_supervisor(*sys_, tree, services);
  keep(root);
  sched_->run();
  EXPECT_EQ(trace_->calls["a"], 1);
  EXPECT_EQ(trace_->calls["b"], 1);
  EXPECT_EQ(trace_->calls["c"], 0);
  auto engine = services.names->get("wf/run-res-1");
  ASSERT_TRUE(engine);
  caf::anon_send_exit(engine, caf::exit_reason::kill);
  sched_->run();
  tick(5s);
  ASSERT_TRUE(o->done) << "the restarted engine finishes the run";
  EXPECT_EQ(o->status, "succeeded") << o->failure;
  EXPECT_EQ(trace_->calls["a"], 1) << "a finished before the crash and is not redone";
  EXPECT_EQ(trace_->calls["b"], 2);
  EXPECT_EQ(trace_->calls["c"], 1);
  auto d = detail("res-1");
  EXPECT_EQ(states(d, "complete"), (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}}));
  EXPECT_EQ(states(d, "cancelled")["b"], 1);
}

TEST_F(engine_test, resume_of_an_unknown_run_fails_cleanly) {
  auto o = std::make_shared<outcome>();
  auto engine = spawn_workflow_run(*sys_, setup_for(std::nullopt, "nope", o));
  keep(engine);
  caf::error reason;
  auto watcher = sys_->spawn([&reason, engine](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(engine);
    self->set_down_handler([&reason](caf::down_msg& dm) { reason = dm.reason; });
    return {[](int) {}};
  });
  keep(watcher);
  sched_->run();
  EXPECT_TRUE(is(reason, workflow_errc::unknown_run)) << describe(reason);
  EXPECT_FALSE(o->done);
}
