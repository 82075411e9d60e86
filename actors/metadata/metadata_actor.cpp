#include "actors/metadata/metadata_actor.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "actors/metadata/sample_throttle.hpp"
#include "messages/atoms.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::metadata {

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

/// A queued write: `apply` runs inside the batch; `finish` answers once the batch ended.
struct pending_write {
  std::function<caf::error(metadata_store&, int64_t)> apply;
  std::function<void(const caf::error&)> finish;
};

/// What the actor owns. Shared with its exit functor, which runs after the state is gone.
struct metadata_core {
  std::shared_ptr<metadata_store> store;
  metadata_options options;
  clock_function clock;
  std::unique_ptr<sample_throttle> throttle;
  std::vector<pending_write> pending;
  bool flush_scheduled = false;
};

struct metadata_state {
  std::shared_ptr<metadata_core> core;
  static inline const char* name = "metadata";
};

using metadata_actor_ptr = caf::stateful_actor<metadata_state>*;

/// Turns a store result into an actor reply.
template <class T> caf::result<T> answer(caf::expected<T> x) {
  if (!x)
    return std::move(x.error());
  return std::move(*x);
}

/// Commits every queued write as one transaction and answers each.
void flush(metadata_core& st) {
  if (st.pending.empty())
    return;
  auto batch = std::move(st.pending);
  st.pending.clear();
  auto now = st.clock();
  auto err = st.store->begin_batch();
  if (!err) {
    for (auto& w : batch)
      w.apply(*st.store, now);
    err = st.store->commit_batch();
  }
  for (auto& w : batch)
    w.finish(err);
}

/// Queues a write whose result is a T; flushes when the batch is full.
template <class T, class F> caf::typed_response_promise<T> enqueue(metadata_actor_ptr self, F fn) {
  auto& st = *self->state.core;
  auto rp = self->make_response_promise<T>();
  auto value = std::make_shared<caf::expected<T>>(caf::error{});
  st.pending.push_back(pending_write{[fn, value](metadata_store& store, int64_t now) {
                                       *value = fn(store, now);
                                       return *value ? caf::error{} : value->error();
                                     },
                                     [rp, value](const caf::error& batch_error) mutable {
                                       if (batch_error)
                                         rp.deliver(batch_error);
                                       else if (*value)
                                         rp.deliver(std::move(**value));
                                       else
                                         rp.deliver(value->error());
                                     }});
  if (st.pending.size() >= st.options.batch_max || st.options.batch_interval.count() == 0) {
    flush(st);
  } else if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, st.options.batch_interval, md_flush_due_atom::value);
  }
  return rp;
}

caf::behavior metadata_behavior(metadata_actor_ptr self, std::shared_ptr<metadata_store> store,
                                metadata_options options, clock_function clock) {
  auto core = std::make_shared<metadata_core>();
  core->store = std::move(store);
  core->throttle = std::make_unique<sample_throttle>(options.sample_interval);
  core->options = std::move(options);
  core->clock = std::move(clock);
  self->state.core = core;
  // Whatever is queued when the actor stops is committed, so an orderly shutdown loses nothing.
  self->attach_functor([core] { flush(*core); });
  auto as_bool = [](caf::error err) -> caf::expected<bool> {
    if (err)
      return err;
    return true;
  };
  return {
      [self](md_flush_due_atom) {
        self->state.core->flush_scheduled = false;
        flush(*self->state.core);
      },
      [self](md_flush_atom) -> bool {
        flush(*self->state.core);
        return true;
      },
      [self](md_put_ctx_atom, md_context context) {
        return enqueue<int64_t>(self, [context](metadata_store& s, int64_t now) {
          return s.put_context(context, now);
        });
      },
      [self](md_record_atom, md_execution_record record) {
        if (record.execution.state != "running")
          self->state.core->throttle->forget(record.execution.id);
        return enqueue<md_record_ack>(
            self, [record](metadata_store& s, int64_t now) { return s.record(record, now); });
      },
      [self](md_samples_atom, std::vector<md_sample> samples) {
        std::vector<md_sample> kept;
        for (auto& sample : samples)
          if (self->state.core->throttle->admit(sample))
            kept.push_back(std::move(sample));
        return enqueue<uint32_t>(
            self, [kept](metadata_store& s, int64_t) { return s.put_samples(kept); });
      },
      [self, as_bool](md_memo_put_atom, md_memo_entry entry) {
        return enqueue<bool>(self, [entry, as_bool](metadata_store& s, int64_t) {
          return as_bool(s.memo_put(entry));
        });
      },
      [self, as_bool](md_memo_hit_atom, std::string key, int64_t now_ms) {
        return enqueue<bool>(self, [key, now_ms, as_bool](metadata_store& s, int64_t) {
          return as_bool(s.memo_hit(key, now_ms));
        });
      },
      [self, as_bool](md_memo_del_atom, std::string key) {
        return enqueue<bool>(self, [key, as_bool](metadata_store& s, int64_t) {
          return as_bool(s.memo_delete(key));
        });
      },
      [self](md_memo_gc_atom, int64_t cutoff_ms) -> caf::result<md_gc_result> {
        flush(*self->state.core);
        return answer(self->state.core->store->memo_gc(cutoff_ms));
      },
      [self](md_get_ctx_atom, std::string type, std::string name) -> caf::result<md_context> {
        flush(*self->state.core);
        return answer(self->state.core->store->get_context(type, name));
      },
      [self](md_get_smp_atom, int64_t execution_id) -> caf::result<std::vector<md_sample>> {
        flush(*self->state.core);
        return answer(self->state.core->store->samples(execution_id));
      },
      [self](md_list_runs_atom) -> caf::result<std::vector<md_run_summary>> {
        flush(*self->state.core);
        return answer(self->state.core->store->list_runs());
      },
      [self](md_show_run_atom, std::string name) -> caf::result<md_run_detail> {
        flush(*self->state.core);
        return answer(self->state.core->store->show_run(name));
      },
      [self](md_lineage_atom, int64_t artifact_id,
             std::string direction) -> caf::result<md_lineage> {
        flush(*self->state.core);
        auto dir = parse_direction(direction);
        if (!dir)
          return std::move(dir.error());
        return answer(self->state.core->store->lineage(artifact_id, *dir));
      },
      [self](md_memo_get_atom, std::string key) -> caf::result<md_memo_lookup> {
        flush(*self->state.core);
        return answer(self->state.core->store->memo_get(key));
      },
  };
}

} // namespace

caf::expected<caf::actor> spawn_metadata_actor(caf::actor_system& sys,
                                               const metadata_options& options, actor_options how) {
  if (!how.clock)
    how.clock = system_clock_ms;
  auto opened = metadata_store::open(options, how.clock());
  if (!opened)
    return std::move(opened.error());
  std::shared_ptr<metadata_store> store{std::move(*opened)};
  if (how.dedicated_thread)
    return sys.spawn<caf::detached>(metadata_behavior, std::move(store), options, how.clock);
  return sys.spawn(metadata_behavior, std::move(store), options, how.clock);
}

runtime::child_spec metadata_child(metadata_options options, actor_options how) {
  return runtime::worker("metadata", [options, how](const runtime::start_context& ctx) {
    return spawn_metadata_actor(ctx.system, options, how);
  });
}

} // namespace dmlp::metadata
