#include "actors/ingest/coordinator.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "actors/ingest/batch_encoder.hpp"
#include "messages/errors.hpp"
#include "messages/ingest.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/logging.hpp"
#include "runtime/name_registry.hpp"

namespace dmlp::ingest {

namespace {

struct coordinator_state {
  coordinator_data data;
  coordinator_options options;
  std::optional<epoch_ledger> ledger;
  std::shared_ptr<runtime::snapshot_store> store;
  std::string key;
  // The current actor of each member; missing for members restored from a snapshot until
  // they re-attach.
  std::map<std::string, caf::actor> trainers;
  // Batches to send once the ledger change that issued them is saved.
  std::vector<std::pair<std::string, batch_ticket>> to_send;
  std::vector<ingest_epoch_end> epoch_ends;
  // Replies that wait for the save of the change they acknowledge.
  std::vector<std::function<void()>> replies;
  bool commit_armed = false;
  // Set by ingest_pause_atom (a job stopping): no batch is issued any more.
  bool paused = false;
  // Where the fence actor (options.fence_path) is looked up; may be null.
  std::shared_ptr<runtime::name_registry> names;
  // A lost trainer's open fence: the question, kept to ask again, with the tries it has left;
  // the fence actor asked last (monitored: one that dies holding the question never answers)
  // and the number of that attempt (an older attempt's late answer or error is ignored); what
  // waits for the answer (a new incarnation registering).
  struct open_fence {
    ingest_fence request;
    const char* why;
    uint64_t tries_left;
    caf::actor asked;
    uint64_t attempt = 0;
    std::vector<std::function<void()>> waiting;
  };
  std::map<std::string, open_fence> fencing;
  runtime::actor_log log;

  static inline const char* name = "dmlp.ingest.coordinator";
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

// Issues every batch `trainer`'s credits and window allow.
void pump(coordinator_actor* self, const std::string& trainer) {
  auto& st = self->state;
  if (st.paused || st.fencing.count(trainer) > 0)
    return;
  while (auto ticket = st.ledger->issue(trainer))
    st.to_send.emplace_back(trainer, std::move(*ticket));
}

void pump_all(coordinator_actor* self) {
  for (auto& id : self->state.ledger->members())
    pump(self, id);
}

// Saves the ledger, then sends what the saved state says was issued. A failed save stops the
// actor before anything unsaved leaves it.
bool commit(coordinator_actor* self) {
  auto& st = self->state;
  if (st.store) {
    auto saved = st.store->save(st.key, st.ledger->encode());
    if (!saved) {
      st.log.error("cannot save the ledger: {}", describe(saved.error()));
      st.to_send.clear();
      st.epoch_ends.clear();
      st.replies.clear();
      self->quit(saved.error());
      return false;
    }
  }
  for (auto& reply : st.replies)
    reply();
  st.replies.clear();
  for (auto& end : st.epoch_ends)
    for (auto& [id, handle] : st.trainers)
      self->send(handle, end);
  st.epoch_ends.clear();
  auto& train = st.data.content->train;
  for (auto& [id, ticket] : st.to_send) {
    auto i = st.trainers.find(id);
    if (i == st.trainers.end())
      continue;
    auto bytes = encode_batch(train, ticket.indices);
    if (!bytes) {
      st.log.error("cannot encode batch {}: {}", ticket.batch, describe(bytes.error()));
      continue;
    }
    self->send(i->second, ingest_batch{ticket.epoch, ticket.batch,
                                       static_cast<uint32_t>(ticket.indices.size()),
                                       st.data.transform, std::move(*bytes)});
  }
  st.to_send.clear();
  return true;
}

// Schedules the save of what the current message changed: at once without group commit,
// else at the end of the commit interval (one save for every change in between).
void finish(coordinator_actor* self) {
  auto& st = self->state;
  if (st.options.commit_interval.count() == 0) {
    commit(self);
    return;
  }
  if (!st.commit_armed) {
    st.commit_armed = true;
    self->delayed_send(self, st.options.commit_interval, ingest_commit_atom::value);
  }
}

// Replies `value` once the current change is saved.
template <class T> void reply_after_commit(coordinator_actor* self, T value) {
  auto promise = self->make_response_promise();
  self->state.replies.emplace_back(
      [promise, value]() mutable { promise.deliver(std::move(value)); });
}

// Binds `trainer` to `sender`; a new binding re-sends its outstanding batches (the first
// contact after a coordinator restart, or a trainer that moved). A lost trainer being fenced
// stays unbound: what reaches us from it now was sent before it was lost.
void attach(coordinator_actor* self, const std::string& trainer, const caf::actor& sender) {
  auto& st = self->state;
  if (!sender || !st.ledger->has(trainer) || st.fencing.count(trainer) > 0)
    return;
  auto i = st.trainers.find(trainer);
  if (i != st.trainers.end() && i->second == sender)
    return;
  if (i != st.trainers.end())
    self->demonitor(i->second);
  st.trainers[trainer] = sender;
  self->monitor(sender);
  for (auto& ticket : st.ledger->outstanding(trainer))
    st.to_send.emplace_back(trainer, std::move(ticket));
  st.log.info("trainer {} attached", trainer);
}

void drop_trainer(coordinator_actor* self, const std::string& trainer, const char* why) {
  auto& st = self->state;
  auto taken = st.ledger->leave(trainer);
  // Batches issued to it that wait for the save went back with it: sent now, they would be
  // trained (by a trainer that registers again within the commit interval) and issued again.
  st.to_send.erase(std::remove_if(st.to_send.begin(), st.to_send.end(),
                                  [&](const auto& entry) { return entry.first == trainer; }),
                   st.to_send.end());
  auto i = st.trainers.find(trainer);
  if (i != st.trainers.end()) {
    self->demonitor(i->second);
    st.trainers.erase(i);
  }
  st.log.info("trainer {} {}; {} outstanding batches return", trainer, why, taken.size());
  pump_all(self);
}

void note_epoch(coordinator_actor* self, const ack_result& result);

// The fence of a lost trainer answered (or failed: `trained` is empty): its trained batches are
// acknowledged on its behalf, the rest return to the others, and what waited goes on.
void end_fence(coordinator_actor* self, const std::string& trainer,
               const std::vector<batch_ref>& trained) {
  auto& st = self->state;
  auto fence = st.fencing.find(trainer);
  if (fence == st.fencing.end())
    return;
  auto why = fence->second.why;
  auto waiting = std::move(fence->second.waiting);
  st.fencing.erase(fence);
  size_t acked = 0;
  for (auto& b : trained)
    if (auto result = st.ledger->ack(trainer, b.epoch, b.batch)) {
      acked += result->duplicate ? 0 : 1;
      note_epoch(self, *result);
    }
  st.log.info("trainer {}: {} of its outstanding batches were trained", trainer, acked);
  drop_trainer(self, trainer, why);
  for (auto& next : waiting)
    next();
  finish(self);
}

// The fence about `trainer` gets no answer: its outstanding batches return untried.
void give_up_fence(coordinator_actor* self, const std::string& trainer, const std::string& reason) {
  self->state.log.warn("trainer {}: no answer from the fence ({}); its outstanding batches "
                       "return untried",
                       trainer, reason);
  end_fence(self, trainer, {});
}

// The fence actor could not answer about `trainer` (not registered, failed, died holding the
// question): asks again after fence_retry while tries are left. The attempt that failed is
// over, so a late answer or error of it is ignored.
void retry_fence(coordinator_actor* self, const std::string& trainer, const std::string& reason) {
  auto& st = self->state;
  auto q = st.fencing.find(trainer);
  if (q == st.fencing.end())
    return;
  q->second.asked = caf::actor{};
  ++q->second.attempt;
  if (q->second.tries_left == 0) {
    give_up_fence(self, trainer, reason);
    return;
  }
  --q->second.tries_left;
  self->delayed_send(self, st.options.fence_retry, ingest_fence_retry_atom::value, trainer);
}

// Asks the fence actor the open question about `trainer`. While the actor is not registered,
// fails at once or dies before it answers (the job master being restarted; its new instance
// answers from its snapshot), the question is asked again every fence_retry until
// fence_timeout is spent; a question that timed out is not asked again.
void ask_fence(coordinator_actor* self, const std::string& trainer) {
  auto& st = self->state;
  auto q = st.fencing.find(trainer);
  if (q == st.fencing.end())
    return;
  auto fence = st.names->get(st.options.fence_path);
  if (!fence) {
    retry_fence(self, trainer, "no " + st.options.fence_path + " registered");
    return;
  }
  q->second.asked = fence;
  auto attempt = ++q->second.attempt;
  auto current = [self, trainer, attempt] {
    auto q = self->state.fencing.find(trainer);
    return q != self->state.fencing.end() && q->second.attempt == attempt;
  };
  self->monitor(fence);
  self->request(fence, st.options.fence_timeout, q->second.request)
      .then(
          [self, trainer, current](ingest_fenced& r) {
            if (current())
              end_fence(self, trainer, r.trained);
          },
          [self, trainer, current](caf::error& err) {
            if (!current())
              return;
            if (err == caf::sec::request_timeout)
              give_up_fence(self, trainer, describe(err));
            else
              retry_fence(self, trainer, describe(err));
          });
}

// A fence actor died: the questions it held are asked again.
void fence_actor_down(coordinator_actor* self, const caf::actor_addr& source) {
  std::vector<std::string> held;
  for (auto& [trainer, q] : self->state.fencing)
    if (q.asked && q.asked.address() == source)
      held.push_back(trainer);
  for (auto& trainer : held)
    retry_fence(self, trainer, "the fence died before it answered");
}

// A trainer is lost (down, replaced by a new incarnation, not back after a restart). Before its
// outstanding batches return to the others, the fence actor says which of them the job trained
// already (their updates are in the model, the acknowledgement was lost with the trainer) —
// handing those out again would train them twice. Without a fence actor they all return.
void lose_trainer(coordinator_actor* self, const std::string& trainer, const char* why) {
  auto& st = self->state;
  if (st.fencing.count(trainer) > 0)
    return;
  auto tickets = st.ledger->outstanding(trainer);
  if (!st.names || st.options.fence_path.empty() || tickets.empty()) {
    drop_trainer(self, trainer, why);
    return;
  }
  ingest_fence request{trainer, {}, {}};
  auto i = st.trainers.find(trainer);
  if (i != st.trainers.end()) {
    request.handle = i->second;
    self->demonitor(i->second);
    st.trainers.erase(i);
  }
  for (auto& t : tickets)
    request.outstanding.push_back(batch_ref{t.epoch, t.batch, t.indices.size()});
  auto retry = std::max<int64_t>(st.options.fence_retry.count(), 1);
  auto tries =
      static_cast<uint64_t>(std::max<int64_t>(st.options.fence_timeout.count(), 0) / retry);
  st.fencing[trainer] = coordinator_state::open_fence{std::move(request), why, tries, {}, 0, {}};
  ask_fence(self, trainer);
}

// Joins `r.trainer` from `sender` and answers `rp` with the job once that is saved.
void join_trainer(coordinator_actor* self, const ingest_register& r, const caf::actor& sender,
                  caf::typed_response_promise<ingest_job> rp) {
  auto& st = self->state;
  auto window = std::min(std::max<uint32_t>(r.window, 1), st.options.max_window);
  if (auto err = st.ledger->join(r.trainer, window)) {
    rp.deliver(err);
    return;
  }
  attach(self, r.trainer, sender);
  pump_all(self);
  auto& ledger = *st.ledger;
  ingest_job job;
  job.dataset = st.data.dataset;
  job.cache_key = st.data.cache_key;
  job.train_samples = st.data.train_count();
  job.test_samples = st.data.test_count();
  job.batch_size = ledger.options().batch_size;
  job.batches_per_epoch = ledger.batches_per_epoch();
  job.epoch = ledger.epoch();
  job.max_epochs = ledger.options().max_epochs;
  job.window = window;
  job.transform = st.data.transform;
  st.replies.emplace_back([rp, job]() mutable { rp.deliver(std::move(job)); });
  finish(self);
}

ingest_status status_of(const epoch_ledger& ledger) {
  return ingest_status{ledger.epoch(),
                       ledger.batches_done(),
                       ledger.batches_per_epoch(),
                       ledger.total_acked(),
                       ledger.outstanding_total(),
                       static_cast<uint32_t>(ledger.members().size()),
                       ledger.finished()};
}

void note_epoch(coordinator_actor* self, const ack_result& result) {
  auto& st = self->state;
  if (!result.epoch_completed)
    return;
  auto completed = st.ledger->epoch() - 1;
  st.epoch_ends.push_back(
      ingest_epoch_end{completed, st.ledger->options().samples, result.finished});
  st.log.info("epoch {} complete", completed);
}

caf::behavior coordinator(coordinator_actor* self, epoch_ledger ledger, coordinator_data data,
                          coordinator_options options,
                          std::shared_ptr<runtime::snapshot_store> store, std::string key,
                          bool restored, std::shared_ptr<runtime::name_registry> names) {
  auto& st = self->state;
  st.names = std::move(names);
  st.ledger = std::move(ledger);
  st.data = std::move(data);
  st.options = options;
  st.store = std::move(store);
  st.key = std::move(key);
  st.log = runtime::actor_log{spdlog::default_logger(), st.key.empty() ? "ingest" : st.key};
  if (restored && !st.ledger->members().empty())
    self->delayed_send(self, options.reattach_timeout, ingest_lease_atom::value);
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& st = self->state;
    for (auto& [id, handle] : st.trainers)
      if (handle.address() == msg.source) {
        auto trainer = id;
        lose_trainer(self, trainer, "is down");
        finish(self);
        return;
      }
    fence_actor_down(self, msg.source);
  });
  return {
      [self](ingest_register& r) -> caf::result<ingest_job> {
        auto& st = self->state;
        // Before the promise: making it moves the sender out of the current message.
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        auto rp = self->make_response_promise<ingest_job>();
        if (st.ledger->has(r.trainer)) {
          // The same actor again (its first reply was lost) is no lost incarnation: fencing it
          // would make the shards refuse a live trainer.
          auto bound = st.trainers.find(r.trainer);
          if (bound != st.trainers.end() && bound->second == sender)
            drop_trainer(self, r.trainer, "registered again");
          else
            lose_trainer(self, r.trainer, "registered again");
        }
        auto fencing = st.fencing.find(r.trainer);
        if (fencing != st.fencing.end())
          fencing->second.waiting.push_back(
              [self, r, sender, rp] { join_trainer(self, r, sender, rp); });
        else
          join_trainer(self, r, sender, rp);
        return rp;
      },
      [self](ingest_credit& c) -> caf::result<void> {
        auto& st = self->state;
        attach(self, c.trainer, caf::actor_cast<caf::actor>(self->current_sender()));
        if (auto err = st.ledger->grant(c.trainer, c.credits))
          return err;
        pump(self, c.trainer);
        reply_after_commit(self, caf::unit);
        finish(self);
        return caf::unit;
      },
      [self](ingest_ack& a) -> caf::result<void> {
        auto& st = self->state;
        if (!a.on_behalf)
          attach(self, a.trainer, caf::actor_cast<caf::actor>(self->current_sender()));
        auto result = st.ledger->ack(a.trainer, a.epoch, a.batch);
        if (!result) {
          finish(self);
          return result.error();
        }
        if (a.credits > 0)
          st.ledger->grant(a.trainer, a.credits);
        note_epoch(self, *result);
        if (result->epoch_completed)
          pump_all(self);
        else
          pump(self, a.trainer);
        reply_after_commit(self, caf::unit);
        finish(self);
        return caf::unit;
      },
      [self](ingest_leave& l) -> caf::result<void> {
        auto& st = self->state;
        if (!st.ledger->has(l.trainer))
          return caf::make_error(ingest_errc::unknown_trainer,
                                 "trainer " + l.trainer + " is not registered");
        drop_trainer(self, l.trainer, "left");
        reply_after_commit(self, caf::unit);
        finish(self);
        return caf::unit;
      },
      [self](ingest_test_request& r) -> caf::result<ingest_batch> {
        auto& test = self->state.data.content->test;
        auto served = self->state.data.test_count();
        if (r.first >= served || r.count == 0)
          return caf::make_error(ingest_errc::invalid_option,
                                 "test samples start at 0 and end before " +
                                     std::to_string(served));
        auto last = std::min<uint64_t>(served, r.first + r.count);
        std::vector<uint64_t> indices;
        for (auto i = r.first; i < last; ++i)
          indices.push_back(i);
        auto bytes = encode_batch(test, indices);
        if (!bytes)
          return bytes.error();
        return ingest_batch{0, r.first, static_cast<uint32_t>(indices.size()),
                            self->state.data.transform, std::move(*bytes)};
      },
      [self](ingest_status_atom) { return status_of(*self->state.ledger); },
      [self](ingest_pause_atom) -> caf::result<ingest_status> {
        auto& st = self->state;
        st.paused = true;
        // The status is taken when the save happens, so it describes the saved ledger.
        auto promise = self->make_response_promise<ingest_status>();
        st.replies.emplace_back(
            [self, promise]() mutable { promise.deliver(status_of(*self->state.ledger)); });
        finish(self);
        return promise;
      },
      [self](ingest_lease_atom) {
        auto& st = self->state;
        for (auto& id : st.ledger->members())
          if (st.trainers.count(id) == 0)
            lose_trainer(self, id, "did not re-attach after the restart");
        finish(self);
      },
      [self](ingest_commit_atom) {
        self->state.commit_armed = false;
        commit(self);
      },
      [self](ingest_fence_retry_atom, const std::string& trainer) { ask_fence(self, trainer); },
  };
}

} // namespace

uint64_t first_samples(uint64_t available, uint64_t limit) {
  return limit == 0 ? available : std::min(available, limit);
}

uint64_t coordinator_data::train_count() const {
  return first_samples(content->train.count, train_limit);
}

uint64_t coordinator_data::test_count() const {
  return first_samples(content->test.count, test_limit);
}

caf::expected<caf::actor> spawn_coordinator(caf::actor_system& sys, coordinator_data data,
                                            coordinator_options options,
                                            std::shared_ptr<runtime::snapshot_store> store,
                                            std::string key,
                                            std::optional<snapshot_record> restored,
                                            std::shared_ptr<runtime::name_registry> names) {
  if (!data.content)
    return caf::make_error(ingest_errc::invalid_option, "a coordinator needs samples");
  options.ledger.samples = data.train_count();
  caf::expected<epoch_ledger> ledger = caf::make_error(ingest_errc::ledger_corrupt);
  if (restored) {
    ledger = epoch_ledger::decode(restored->payload);
    if (ledger && (ledger->options().samples != options.ledger.samples ||
                   ledger->options().batch_size != options.ledger.batch_size))
      ledger = caf::make_error(
          ingest_errc::ledger_corrupt,
          key + ": the saved ledger was built for " + std::to_string(ledger->options().samples) +
              " samples in batches of " + std::to_string(ledger->options().batch_size));
  } else {
    ledger = epoch_ledger::create(options.ledger);
  }
  if (!ledger)
    return ledger.error();
  return sys.spawn(coordinator, std::move(*ledger), std::move(data), options, std::move(store),
                   std::move(key), restored.has_value(), std::move(names));
}

runtime::start_function coordinator_start(coordinator_data data, coordinator_options options) {
  return [data, options](const runtime::start_context& ctx) {
    return spawn_coordinator(ctx.system, data, options, ctx.snapshots, ctx.path, ctx.snapshot,
                             ctx.services.names);
  };
}

} // namespace dmlp::ingest
