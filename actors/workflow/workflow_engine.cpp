#include "actors/workflow/workflow_engine.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <unistd.h>

#include "actors/workflow/dag_scheduler.hpp"
#include "actors/workflow/failure_policy.hpp"
#include "actors/workflow/memo_policy.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"

namespace dmlp::workflow {

namespace {

/// One attempt in flight.
struct attempt {
  dispatch job;
  const step_type* type = nullptr;
  caf::actor actor;
  int64_t execution_id = 0;
  int64_t start_ms = 0;
  std::string memo_key;
  std::string content_token;
  double peak_memory = 0;
};

struct engine_state {
  run_setup setup;
  int64_t context_id = 0;
  json context_properties = json::object();
  std::unique_ptr<dag_scheduler> dag;
  std::map<std::string, attempt> running;
  bool sampling = false;
  bool finalizing = false;
  /// Step actors alive; shared with the exit functor, which runs after the state is gone.
  std::shared_ptr<std::set<caf::actor>> live_steps = std::make_shared<std::set<caf::actor>>();
  static inline const char* name = "workflow-engine";
};

using engine_ptr = caf::stateful_actor<engine_state>*;

int64_t now(engine_ptr self) {
  return self->state.setup.clock();
}

/// Resident memory of this process in bytes (0 when unknown).
double resident_bytes() {
  std::ifstream in{"/proc/self/statm"};
  long pages = 0;
  long resident = 0;
  if (!(in >> pages >> resident))
    return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void notify(engine_ptr self, const std::string& instance, const std::string& state) {
  if (self->state.setup.listener)
    self->send(self->state.setup.listener, wf_step_atom::value, self->state.setup.run_id, instance,
               state);
}

void pump(engine_ptr self);
void launch(engine_ptr self, dispatch job);

/// Ends the run: the engine stops with `err` so that its supervisor restarts it.
void crash(engine_ptr self, const caf::error& err) {
  self->quit(err);
}

template <class... Ts> auto ask_metadata(engine_ptr self, Ts&&... xs) {
  return self->request(self->state.setup.metadata, self->state.setup.options.metadata_timeout,
                       std::forward<Ts>(xs)...);
}

void stop_step(engine_ptr self, attempt& a) {
  if (a.actor) {
    self->state.live_steps->erase(a.actor);
    self->send_exit(a.actor, caf::exit_reason::user_shutdown);
  }
  a.actor = nullptr;
}

caf::actor spawn_step(engine_ptr self, const step_type& type) {
  auto actor = type.spawn(self->system());
  self->state.live_steps->insert(actor);
  return actor;
}

step_request make_request(engine_ptr self, const attempt& a) {
  const auto& setup = self->state.setup;
  step_request req;
  req.run = setup.run_id;
  req.step = a.job.spec->name;
  req.instance = a.job.instance;
  req.type = a.job.spec->type;
  req.attempt = a.job.attempt;
  req.parameters = a.job.parameters.dump();
  req.inputs = a.job.inputs;
  req.work_dir = setup.options.artifact_root + "/" + setup.run_id + "/" + a.job.instance +
                 "/attempt-" + std::to_string(a.job.attempt);
  req.execution_id = a.execution_id;
  req.metadata = setup.metadata;
  req.memory_limit_mb = a.job.memory_mb;
  return req;
}

md_execution execution_of(engine_ptr self, const attempt& a, const std::string& state) {
  md_execution x;
  x.id = a.execution_id;
  x.context_id = self->state.context_id;
  x.type =
      a.type != nullptr ? a.type->name + "@" + std::to_string(a.type->version) : a.job.spec->type;
  x.name = a.job.instance;
  x.state = state;
  x.start_ms = a.start_ms;
  x.parameters = a.job.parameters.dump();
  x.attempt = a.job.attempt;
  json props = {{"step", a.job.spec->name}, {"memory_mb", a.job.memory_mb}};
  if (!a.memo_key.empty())
    props["memo_key"] = a.memo_key;
  if (a.job.exit_handler)
    props["exit_handler"] = true;
  x.properties = props.dump();
  return x;
}

std::vector<md_input> inputs_of(const attempt& a) {
  std::vector<md_input> out;
  for (const auto& in : a.job.inputs)
    out.push_back(md_input{in.name, in.artifact.id});
  return out;
}

/// Records the end of a failed attempt and applies the retry policy.
void fail_attempt(engine_ptr self, const std::string& instance, caf::error err) {
  auto i = self->state.running.find(instance);
  if (i == self->state.running.end())
    return;
  auto finish = [self, instance, err](double peak) {
    auto i = self->state.running.find(instance);
    if (i == self->state.running.end())
      return;
    auto a = std::move(i->second);
    self->state.running.erase(i);
    stop_step(self, a);
    auto verdict =
        classify_failure(failure_info{err, std::max(peak, a.peak_memory), a.job.memory_mb});
    auto decision = a.job.exit_handler ? retry_decision{}
                                       : decide_retry(a.job.spec->retry, a.job.attempt, verdict);
    auto reason = dmlp::describe(err);
    md_execution_record rec;
    rec.execution = execution_of(self, a, "failed");
    rec.execution.end_ms = now(self);
    rec.execution.exit_reason = reason;
    auto props = json::parse(rec.execution.properties);
    props["cause"] = verdict.cause;
    props["transient"] = verdict.transient;
    props["retry"] = decision.retry;
    rec.execution.properties = props.dump();
    rec.inputs = inputs_of(a);
    auto record_and_continue = [self, instance, decision, verdict, reason, rec] {
      ask_metadata(self, md_record_atom::value, rec)
          .then(
              [self, instance, decision, verdict, reason](const md_record_ack&) {
                if (decision.retry) {
                  notify(self, instance, "retrying");
                  self->state.dag->retry_later(instance, verdict.next_memory_mb);
                  self->delayed_send(self, decision.delay, wf_retry_atom::value, instance);
                } else {
                  notify(self, instance, "failed");
                  self->state.dag->failed(instance, reason);
                }
                pump(self);
              },
              [self](caf::error& e) { crash(self, e); });
    };
    record_and_continue();
  };
  auto exec_id = i->second.execution_id;
  if (exec_id == 0) {
    finish(0);
    return;
  }
  ask_metadata(self, md_get_smp_atom::value, exec_id)
      .then(
          [finish](const std::vector<md_sample>& samples) {
            double peak = 0;
            for (const auto& s : samples)
              if (s.kind == "memory")
                peak = std::max(peak, s.value);
            finish(peak);
          },
          [finish](caf::error&) { finish(0); });
}

/// Records a successful attempt, stores the memo entry and continues.
void complete_attempt(engine_ptr self, const std::string& instance, step_reply reply) {
  auto i = self->state.running.find(instance);
  if (i == self->state.running.end())
    return;
  auto outputs = json::parse(reply.outputs, nullptr, false);
  if (outputs.is_discarded() || !outputs.is_object()) {
    fail_attempt(self, instance,
                 caf::make_error(step_errc::invalid_parameters,
                                 instance + ": the step's outputs are not a JSON object"));
    return;
  }
  auto& a = i->second;
  stop_step(self, a);
  md_execution_record rec;
  rec.execution = execution_of(self, a, "complete");
  rec.execution.end_ms = now(self);
  rec.execution.outputs = outputs.dump();
  rec.inputs = inputs_of(a);
  rec.outputs = reply.artifacts;
  ask_metadata(self, md_record_atom::value, rec)
      .then(
          [self, instance, outputs, artifacts = reply.artifacts](const md_record_ack& ack) mutable {
            auto i = self->state.running.find(instance);
            if (i == self->state.running.end())
              return;
            auto a = std::move(i->second);
            self->state.running.erase(i);
            for (size_t k = 0; k < artifacts.size() && k < ack.artifact_ids.size(); ++k)
              artifacts[k].artifact.id = ack.artifact_ids[k];
            step_result result{outputs, artifacts};
            auto done = [self, instance, result] {
              notify(self, instance, "complete");
              self->state.dag->succeeded(instance, result, false);
              pump(self);
            };
            if (a.memo_key.empty()) {
              done();
              return;
            }
            md_memo_entry entry;
            entry.key = a.memo_key;
            entry.step_type = a.type->name + "@" + std::to_string(a.type->version);
            entry.execution_id = ack.execution_id;
            entry.outputs = outputs.dump();
            entry.artifacts = artifacts;
            entry.content_token = a.content_token;
            entry.created_ms = now(self);
            entry.last_hit_ms = entry.created_ms;
            ask_metadata(self, md_memo_put_atom::value, entry)
                .then([done](bool) { done(); }, [self](caf::error& e) { crash(self, e); });
          },
          [self](caf::error& e) { crash(self, e); });
}

/// Records the attempt as running, then asks the step actor to run it.
void run_attempt(engine_ptr self, const std::string& instance) {
  auto& a = self->state.running.at(instance);
  a.start_ms = now(self);
  md_execution_record rec;
  rec.execution = execution_of(self, a, "running");
  ask_metadata(self, md_record_atom::value, rec)
      .then(
          [self, instance](const md_record_ack& ack) {
            auto i = self->state.running.find(instance);
            if (i == self->state.running.end())
              return;
            auto& a = i->second;
            a.execution_id = ack.execution_id;
            notify(self, instance, "running");
            if (!a.actor)
              a.actor = spawn_step(self, *a.type);
            auto req = make_request(self, a);
            std::error_code ec;
            std::filesystem::create_directories(req.work_dir, ec);
            auto timeout = a.job.spec->timeout.count() > 0 ? a.job.spec->timeout
                                                           : self->state.setup.options.step_timeout;
            self->request(a.actor, timeout, step_run_atom::value, req)
                .then([self,
                       instance](step_reply& reply) { complete_attempt(self, instance, reply); },
                      [self, instance, timeout](caf::error& err) {
                        if (err.category() == caf::atom("system") &&
                            static_cast<caf::sec>(err.code()) == caf::sec::request_timeout)
                          err = caf::make_error(workflow_errc::step_timeout,
                                                instance + ": no answer within " +
                                                    std::to_string(timeout.count()) + " ms");
                        fail_attempt(self, instance, err);
                      });
            if (!self->state.sampling && self->state.setup.options.sample_interval.count() > 0) {
              self->state.sampling = true;
              self->delayed_send(self, self->state.setup.options.sample_interval,
                                 wf_sample_atom::value);
            }
          },
          [self](caf::error& e) { crash(self, e); });
}

/// Reuses a memo entry: records a memoized execution linked to the entry's artifacts.
void reuse_memo(engine_ptr self, const std::string& instance, md_memo_entry entry) {
  auto& a = self->state.running.at(instance);
  a.start_ms = now(self);
  md_execution_record rec;
  rec.execution = execution_of(self, a, "memoized");
  rec.execution.end_ms = a.start_ms;
  rec.execution.outputs = entry.outputs;
  auto props = json::parse(rec.execution.properties);
  props["memo_of"] = entry.execution_id;
  rec.execution.properties = props.dump();
  rec.inputs = inputs_of(a);
  rec.outputs = entry.artifacts;
  ask_metadata(self, md_memo_hit_atom::value, entry.key, now(self))
      .then([](bool) {}, [](caf::error&) {});
  ask_metadata(self, md_record_atom::value, rec)
      .then(
          [self, instance, entry](const md_record_ack&) {
            auto i = self->state.running.find(instance);
            if (i == self->state.running.end())
              return;
            stop_step(self, i->second);
            self->state.running.erase(i);
            auto outputs = json::parse(entry.outputs, nullptr, false);
            if (outputs.is_discarded())
              outputs = json::object();
            notify(self, instance, "memoized");
            self->state.dag->succeeded(instance, step_result{outputs, entry.artifacts}, true);
            pump(self);
          },
          [self](caf::error& e) { crash(self, e); });
}

/// Looks the instance up in the memo cache (after probing its content when the type can).
void check_memo(engine_ptr self, const std::string& instance) {
  auto lookup = [self, instance](std::string token) {
    auto i = self->state.running.find(instance);
    if (i == self->state.running.end())
      return;
    i->second.content_token = token;
    ask_metadata(self, md_memo_get_atom::value, i->second.memo_key)
        .then(
            [self, instance, token](const md_memo_lookup& found) {
              auto i = self->state.running.find(instance);
              if (i == self->state.running.end())
                return;
              auto outcome =
                  decide_memo(found, now(self), i->second.job.spec->memoize.max_age, token);
              if (outcome == memo_outcome::hit) {
                reuse_memo(self, instance, found.entry);
                return;
              }
              if (outcome != memo_outcome::miss)
                ask_metadata(self, md_memo_del_atom::value, found.entry.key)
                    .then([](bool) {}, [](caf::error&) {});
              run_attempt(self, instance);
            },
            [self](caf::error& e) { crash(self, e); });
  };
  auto& a = self->state.running.at(instance);
  if (!a.type->probes) {
    lookup(std::string{});
    return;
  }
  a.actor = spawn_step(self, *a.type);
  auto timeout = a.job.spec->timeout.count() > 0 ? a.job.spec->timeout
                                                 : self->state.setup.options.step_timeout;
  self->request(a.actor, timeout, step_probe_atom::value, make_request(self, a))
      .then([lookup](std::string& token) { lookup(token); },
            [self, instance](caf::error& err) { fail_attempt(self, instance, err); });
}

void launch(engine_ptr self, dispatch job) {
  auto instance = job.instance;
  attempt a;
  a.type = self->state.setup.registry->find(job.spec->type);
  a.job = std::move(job);
  if (a.type == nullptr) {
    auto err = caf::make_error(workflow_errc::unknown_step_type,
                               instance + ": no step type '" + a.job.spec->type + "'");
    self->state.running.emplace(instance, std::move(a));
    fail_attempt(self, instance, err);
    return;
  }
  bool memoize = a.job.spec->memoize.enabled && !a.job.exit_handler;
  if (memoize)
    a.memo_key = memo_key(a.type->name, a.type->version, a.job.parameters, a.job.inputs);
  self->state.running.emplace(instance, std::move(a));
  if (memoize)
    check_memo(self, instance);
  else
    run_attempt(self, instance);
}

void finalize(engine_ptr self) {
  auto& st = self->state;
  if (st.finalizing)
    return;
  st.finalizing = true;
  md_context ctx;
  ctx.id = st.context_id;
  ctx.type = "pipeline_run";
  ctx.name = st.setup.run_id;
  ctx.state = st.dag->status();
  st.context_properties["failure"] = st.dag->failure();
  st.context_properties["skipped"] = st.dag->skipped();
  ctx.properties = st.context_properties.dump();
  ask_metadata(self, md_put_ctx_atom::value, ctx)
      .then(
          [self](int64_t) {
            auto& st = self->state;
            if (st.setup.listener)
              self->send(st.setup.listener, wf_done_atom::value, st.setup.run_id, st.dag->status(),
                         st.dag->failure());
            self->quit();
          },
          [self](caf::error& e) { crash(self, e); });
}

void pump(engine_ptr self) {
  auto& st = self->state;
  if (!st.dag || st.finalizing)
    return;
  for (auto& job : st.dag->take_ready())
    launch(self, std::move(job));
  if (st.dag->finished() && st.running.empty())
    finalize(self);
}

/// Restores recorded results and marks executions of a dead engine as cancelled.
void restore(engine_ptr self, const md_run_detail& detail) {
  auto& st = self->state;
  std::map<int64_t, std::vector<md_output>> outputs;
  std::map<int64_t, md_artifact> artifacts;
  for (const auto& a : detail.artifacts)
    artifacts[a.id] = a;
  for (const auto& e : detail.events)
    if (e.kind == "OUTPUT")
      outputs[e.execution_id].push_back(md_output{e.name, artifacts[e.artifact_id]});
  for (const auto& x : detail.executions) {
    if (x.state == "complete" || x.state == "memoized") {
      auto values = json::parse(x.outputs, nullptr, false);
      if (values.is_discarded())
        values = json::object();
      st.dag->restore(x.name, step_result{values, outputs[x.id]}, x.state == "memoized");
    } else if (x.state == "running") {
      md_execution_record rec;
      rec.execution = x;
      rec.execution.state = "cancelled";
      rec.execution.end_ms = now(self);
      rec.execution.exit_reason = "the engine stopped during this attempt; resumed elsewhere";
      ask_metadata(self, md_record_atom::value, rec)
          .then([](const md_record_ack&) {}, [self](caf::error& e) { crash(self, e); });
    }
  }
}

void start_run(engine_ptr self, workflow_spec spec) {
  self->state.dag = std::make_unique<dag_scheduler>(std::move(spec), self->state.setup.run_id);
}

caf::behavior engine_behavior(engine_ptr self, run_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  if (!st.setup.clock)
    st.setup.clock = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    };
  if (st.setup.options.artifact_root.empty())
    st.setup.options.artifact_root = default_artifact_root();
  // Step actors die with the engine, whatever stops it.
  self->attach_functor([live = st.live_steps] {
    for (const auto& step : *live)
      caf::anon_send_exit(step, caf::exit_reason::kill);
  });
  ask_metadata(self, md_get_ctx_atom::value, std::string{"pipeline_run"}, st.setup.run_id)
      .then(
          [self](md_context& ctx) {
            auto& st = self->state;
            st.context_id = ctx.id;
            auto props = json::parse(ctx.properties, nullptr, false);
            if (props.is_discarded() || !props.contains("spec")) {
              crash(self, caf::make_error(workflow_errc::unknown_run,
                                          st.setup.run_id + ": the recorded run has no spec"));
              return;
            }
            st.context_properties = props;
            auto spec = workflow_spec::from_json(props["spec"], st.setup.run_id);
            if (!spec) {
              crash(self, spec.error());
              return;
            }
            start_run(self, std::move(*spec));
            if (ctx.state != "running") {
              if (st.setup.listener)
                self->send(st.setup.listener, wf_done_atom::value, st.setup.run_id, ctx.state,
                           props.value("failure", std::string{}));
              self->quit();
              return;
            }
            ask_metadata(self, md_show_run_atom::value, st.setup.run_id)
                .then(
                    [self](const md_run_detail& detail) {
                      restore(self, detail);
                      pump(self);
                    },
                    [self](caf::error& e) { crash(self, e); });
          },
          [self](caf::error& err) {
            auto& st = self->state;
            bool absent = is_metadata_error(err, metadata_errc::not_found);
            if (!absent) {
              crash(self, err);
              return;
            }
            if (!st.setup.spec) {
              crash(self, caf::make_error(workflow_errc::unknown_run,
                                          "no recorded run '" + st.setup.run_id + "'"));
              return;
            }
            md_context ctx;
            ctx.type = "pipeline_run";
            ctx.name = st.setup.run_id;
            ctx.state = "running";
            st.context_properties = {{"workflow", st.setup.spec->name},
                                     {"spec", st.setup.spec->to_json()}};
            ctx.properties = st.context_properties.dump();
            ask_metadata(self, md_put_ctx_atom::value, ctx)
                .then(
                    [self](int64_t id) {
                      self->state.context_id = id;
                      start_run(self, *self->state.setup.spec);
                      pump(self);
                    },
                    [self](caf::error& e) { crash(self, e); });
          });
  return {
      [self](wf_retry_atom, const std::string& instance) {
        if (self->state.dag && self->state.dag->retry_due(instance))
          pump(self);
      },
      [self](wf_sample_atom) {
        auto& st = self->state;
        st.sampling = false;
        std::vector<md_sample> samples;
        auto rss = resident_bytes();
        for (auto& kv : st.running) {
          if (kv.second.execution_id == 0)
            continue;
          kv.second.peak_memory = std::max(kv.second.peak_memory, rss);
          samples.push_back(md_sample{kv.second.execution_id, now(self), "memory", "", rss});
        }
        if (samples.empty())
          return;
        caf::anon_send(st.setup.metadata, md_samples_atom::value, std::move(samples));
        st.sampling = true;
        self->delayed_send(self, st.setup.options.sample_interval, wf_sample_atom::value);
      },
  };
}

} // namespace

caf::actor spawn_workflow_run(caf::actor_system& sys, run_setup setup) {
  return sys.spawn(engine_behavior, std::move(setup));
}

runtime::child_spec workflow_run_child(run_setup setup, std::string metadata_path) {
  auto id = "run-" + setup.run_id;
  return runtime::worker(id,
                         [setup, metadata_path](
                             const runtime::start_context& ctx) -> caf::expected<caf::actor> {
                           auto copy = setup;
                           if (!metadata_path.empty() && ctx.services.names) {
                             copy.metadata = ctx.services.names->get(metadata_path);
                             if (!copy.metadata)
                               return caf::make_error(runtime::runtime_errc::start_failed,
                                                      "no metadata actor at " + metadata_path);
                           }
                           return spawn_workflow_run(ctx.system, std::move(copy));
                         })
      .with_restart(runtime::restart_type::transient);
}

} // namespace dmlp::workflow
