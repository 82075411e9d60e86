#include "actors/training/job_master.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/ring_link.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/ingest.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"
#include "runtime/logging.hpp"
#include "runtime/snapshot_store.hpp"

namespace dmlp::training {

namespace {

// How long the master waits before it sends its member list to a restarted shard (and between
// tries while the shard is not registered yet): about what a supervisor's restart takes.
constexpr std::chrono::milliseconds shard_resend_delay{20};
// How long a fence waits for a shard that cannot answer (being restarted) before it counts none
// of the lost trainer's batches as applied there; well below the coordinator's fence timeout.
constexpr std::chrono::milliseconds fence_shard_patience{5000};

struct member {
  std::string id;
  caf::actor handle;
};

struct master_state {
  static inline const char* name = "dmlp.job_master";
  job_master_options opt;
  runtime::runtime_services svc;
  std::vector<member> members;
  std::vector<member> joiners;
  bool started = false;
  bool in_flight = false;
  bool admitting = false;
  bool finished = false;
  uint64_t step = 0;
  std::set<std::string> reduced;
  // The (epoch, batch) of every trainer that contributed a batch to the step in flight.
  std::map<std::string, std::pair<uint64_t, uint64_t>> step_batches;
  // Batches of the unfinished epochs that are in the model: committed with a step (allreduce)
  // or counted as pushed (ps). A fence answers from it; ps counts each batch once.
  std::set<std::pair<uint64_t, uint64_t>> trained;
  std::optional<train_state> saved;
  std::set<uint64_t> epochs_seen;
  train_progress progress;
  std::vector<caf::response_promise> result_waiters;
  std::optional<train_state> result;
  std::map<std::string, uint64_t> clocks;
  std::shared_ptr<runtime::snapshot_store> store;
  std::string key;
  // Stop: requested, every issued batch committed and saved, state being saved, done.
  bool stopping = false;
  bool drained = false;
  bool saving = false;
  bool stopped = false;
  runtime::actor_log log;
  // allreduce ring links: steps failed on them in a row, the pause after such a failure, and
  // whether the master turned them off for the rest of the job.
  uint32_t link_failures = 0;
  bool link_paused = false;
  bool links_off = false;
  // ps: the shard instances the master sent a member list to and monitors.
  std::set<caf::actor_addr> watched_shards;
  // ps: a re-send of the member list to restarted shards is scheduled.
  bool resend_pending = false;
  // ps: the lost trainer incarnations the shards were told to refuse; a restarted shard, which
  // does not remember them, is told again with the member list.
  std::vector<ingest_fence> fences;
  // ps: fence questions to shards that could not answer, asked again with the next re-send.
  std::vector<std::function<void()>> fence_retries;
};

using master_actor = caf::stateful_actor<master_state>;

void maybe_step(master_actor* self);
void finish_stop(master_actor* self);

job_master_snapshot snapshot_of(const master_state& st) {
  job_master_snapshot snap;
  snap.fingerprint = st.opt.fingerprint;
  snap.progress = st.progress;
  snap.progress.finished = false;
  snap.step = st.step;
  snap.epochs_seen.assign(st.epochs_seen.begin(), st.epochs_seen.end());
  if (st.saved) {
    snap.has_replica = true;
    snap.replica_step = st.saved->step;
  }
  snap.clocks = st.clocks;
  snap.stopped = st.stopped;
  for (auto& [epoch, batch] : st.trained) {
    snap.trained.push_back(epoch);
    snap.trained.push_back(batch);
  }
  return snap;
}

// Saves the newest replica state (large: only when it changed), then the counters that name it.
caf::error save_replica(master_actor* self) {
  auto& st = self->state;
  if (!st.store || !st.saved)
    return {};
  if (auto saved = st.store->save(replica_key(st.key), st.saved->data.bytes); !saved)
    return saved.error();
  return {};
}

// Saves the counters so that a restarted master continues the job where this one left it. A
// failed save does not stop the job: a later save may succeed, and a stop reports it.
caf::error save_snapshot(master_actor* self) {
  auto& st = self->state;
  if (!st.store)
    return {};
  auto bytes = encode_master_snapshot(snapshot_of(st));
  if (!bytes)
    return bytes.error();
  auto saved = st.store->save(st.key, std::move(*bytes));
  if (!saved)
    return saved.error();
  return {};
}

void restore(master_state& st, job_master_snapshot snap, std::optional<train_state> replica) {
  st.progress = snap.progress;
  st.step = snap.step;
  st.epochs_seen.insert(snap.epochs_seen.begin(), snap.epochs_seen.end());
  st.saved = std::move(replica);
  st.clocks = std::move(snap.clocks);
  for (size_t i = 0; i + 1 < snap.trained.size(); i += 2)
    st.trained.insert({snap.trained[i], snap.trained[i + 1]});
}

void publish(master_actor* self) {
  auto& st = self->state;
  st.progress.workers = static_cast<uint32_t>(st.members.size());
  if (st.opt.listener)
    self->send(st.opt.listener, st.progress);
}

// Sends the member list to every shard; false when a shard is not registered (restarting).
bool send_ps_members(master_actor* self) {
  auto& st = self->state;
  ps_members m;
  for (auto& x : st.members)
    m.trainers.push_back(x.id);
  bool all = true;
  for (auto& path : st.opt.shard_paths) {
    auto shard = st.svc.names->get(path);
    if (!shard) {
      all = false;
      continue;
    }
    if (st.watched_shards.insert(shard.address()).second)
      self->monitor(shard);
    self->send(shard, m);
    for (auto& f : st.fences)
      self->request(shard, st.opt.request_timeout, f)
          .then([](ingest_fenced&) {}, [](caf::error&) {});
  }
  return all;
}

// A shard restarts from its checkpoint and update log, which hold the member list as of its
// death; a change it missed while down arrives with this re-send.
void resend_ps_members_soon(master_actor* self) {
  auto& st = self->state;
  if (st.resend_pending)
    return;
  st.resend_pending = true;
  self->delayed_send(self, shard_resend_delay, ps_resend_atom::value);
}

void ps_membership(master_actor* self) {
  auto& st = self->state;
  if (!send_ps_members(self))
    resend_ps_members_soon(self);
  for (auto& x : st.members)
    self->send(x.handle, train_workers_atom::value, static_cast<uint32_t>(st.members.size()));
}

void deliver_result(master_actor* self) {
  auto& st = self->state;
  if (!st.result)
    return;
  for (auto& rp : st.result_waiters)
    rp.deliver(*st.result);
  st.result_waiters.clear();
}

// Sends every PS shard the request `args` and calls `answered(shard, reply...)` or
// `failed(shard, error)` for each, then `all_done()` once every shard answered or failed (at
// once without shards).
template <class... Replies, class... Args, class Answered, class Failed, class AllDone>
void ask_every_shard(master_actor* self, std::tuple<Args...> args, Answered answered, Failed failed,
                     AllDone all_done) {
  auto& st = self->state;
  auto left = std::make_shared<size_t>(st.opt.shard_paths.size());
  if (*left == 0) {
    all_done();
    return;
  }
  for (size_t i = 0; i < st.opt.shard_paths.size(); ++i) {
    auto arrived = [left, all_done]() mutable {
      if (--*left == 0)
        all_done();
    };
    auto shard = st.svc.names->get(st.opt.shard_paths[i]);
    std::apply(
        [&](const auto&... xs) {
          self->request(shard, st.opt.request_timeout, xs...)
              .then(
                  [i, answered, arrived](Replies&... reply) mutable {
                    answered(i, reply...);
                    arrived();
                  },
                  [i, failed, arrived](caf::error& err) mutable {
                    failed(i, err);
                    arrived();
                  });
        },
        args);
  }
}

// Final values: from a member (allreduce) or assembled from the shards (ps).
void collect_result(master_actor* self) {
  auto& st = self->state;
  if (st.opt.kind == strategy::allreduce) {
    if (st.members.empty()) {
      st.result = st.saved;
      deliver_result(self);
      return;
    }
    self->request(st.members.front().handle, st.opt.request_timeout, train_get_state_atom::value)
        .then(
            [self](train_state& s) {
              self->state.result = std::move(s);
              self->state.result->step = self->state.progress.steps;
              deliver_result(self);
            },
            [self](caf::error&) { collect_result(self); });
    return;
  }
  std::vector<size_t> begin;
  size_t total = 0;
  for (auto size : st.opt.shard_sizes) {
    begin.push_back(total);
    total += size;
  }
  auto values = std::make_shared<std::vector<float>>(total);
  // A shard that failed to answer (restarting) is asked again, with the others, by a new round.
  auto retried = std::make_shared<bool>(false);
  ask_every_shard<ps_params>(
      self, std::make_tuple(ps_pull_atom::value, std::string{}),
      [self, values, begin](size_t i, ps_params& p) {
        auto vals = decode_values(p.data, self->state.opt.shard_sizes[i]);
        if (vals)
          std::copy(vals->begin(), vals->end(), values->begin() + begin[i]);
      },
      [self, retried](size_t, caf::error&) {
        if (!*retried) {
          *retried = true;
          collect_result(self);
        }
      },
      [self, values, retried] {
        if (*retried)
          return;
        flat_state s;
        s.values = std::move(*values);
        auto bytes = encode_state(s);
        if (bytes) {
          self->state.result = train_state{self->state.progress.steps, std::move(*bytes)};
          deliver_result(self);
        }
      });
}

// Acknowledges the batches of the step about to be committed on the contributing trainers'
// behalf, before the commit goes out: a trainer lost after its contribution (a killed node)
// would otherwise never acknowledge, and its batch, already applied by the others, would be
// trained a second time. The trainers' own acknowledgements then are no-op duplicates that
// return their credit.
void acknowledge_step_batches(master_actor* self) {
  auto& st = self->state;
  if (st.step_batches.empty())
    return;
  auto coordinator = st.svc.names->get(st.opt.coordinator_path);
  if (!coordinator)
    return;
  for (const auto& [trainer, key] : st.step_batches)
    self->request(coordinator, st.opt.request_timeout,
                  ingest_ack{trainer, key.first, key.second, 0, true})
        .then([] {}, [](caf::error&) {});
}

void start_step(master_actor* self) {
  auto& st = self->state;
  if (st.members.empty())
    return;
  ++st.step;
  st.in_flight = true;
  st.reduced.clear();
  st.step_batches.clear();
  auto n = static_cast<uint32_t>(st.members.size());
  auto lr =
      learning_rate(st.opt.optimizer, st.progress.epochs_done, uint64_t{st.opt.batch_size} * n);
  for (uint32_t r = 0; r < n; ++r)
    self->send(st.members[r].handle, train_step{st.step, r, n, st.members[(r + 1) % n].handle, lr});
}

// Hands `state` to every joiner, makes them members and starts a step.
void admit(master_actor* self, const train_state& state) {
  auto& st = self->state;
  for (auto& j : st.joiners) {
    if (st.links_off)
      self->send(j.handle, ring_off_atom::value);
    self->send(j.handle, train_state_atom::value, state);
    st.members.push_back(j);
  }
  st.joiners.clear();
  st.admitting = false;
  publish(self);
  maybe_step(self);
}

void maybe_step(master_actor* self) {
  auto& st = self->state;
  if (st.in_flight || st.admitting || st.finished || st.saving || st.stopped || st.link_paused)
    return;
  if (st.drained) {
    finish_stop(self);
    return;
  }
  if (!st.started) {
    if (st.joiners.size() < st.opt.min_workers)
      return;
    st.started = true;
  }
  while (!st.joiners.empty() && st.members.size() + st.joiners.size() > st.opt.max_workers)
    st.joiners.pop_back();
  if (!st.joiners.empty()) {
    st.admitting = true;
    caf::actor donor;
    if (!st.members.empty()) {
      donor = st.members.front().handle;
    } else if (st.saved) {
      admit(self, *st.saved);
      return;
    } else {
      donor = st.joiners.front().handle;
    }
    self->request(donor, st.opt.request_timeout, train_get_state_atom::value)
        .then([self](train_state& s) { admit(self, s); },
              [self](caf::error&) {
                self->state.admitting = false;
                maybe_step(self);
              });
    return;
  }
  start_step(self);
}

// Tells the members to drop the step in flight (their batches stay theirs for the next one).
void abort_step(master_actor* self) {
  auto& st = self->state;
  if (!st.in_flight)
    return;
  for (auto& m : st.members)
    self->send(m.handle, train_abort_atom::value, st.step);
  st.in_flight = false;
  ++st.progress.aborted_steps;
}

void remove_member(master_actor* self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto gone = [&](const member& m) { return m.handle.address() == who; };
  st.joiners.erase(std::remove_if(st.joiners.begin(), st.joiners.end(), gone), st.joiners.end());
  auto before = st.members.size();
  st.members.erase(std::remove_if(st.members.begin(), st.members.end(), gone), st.members.end());
  if (before == st.members.size())
    return;
  if (st.opt.kind == strategy::ps) {
    ps_membership(self);
    publish(self);
    return;
  }
  abort_step(self);
  publish(self);
  maybe_step(self);
}

// A trainer's ring link failed the step in flight (ring_link.hpp). The step is aborted and,
// after a pause, started again; after max_link_failures in a row every trainer drops its link
// and the rings run over actor messages, slower but without a connection of their own.
void link_failed(master_actor* self, uint64_t step, const caf::error& err) {
  auto& st = self->state;
  if (st.opt.kind != strategy::allreduce || !st.in_flight || step != st.step)
    return;
  abort_step(self);
  ++st.link_failures;
  st.log.warn("step {} failed on a ring link ({} in a row): {}", step, st.link_failures,
              describe(err));
  if (st.link_failures >= st.opt.max_link_failures && !st.links_off) {
    st.links_off = true;
    st.log.warn("ring links turned off: the rings run over actor messages from now on");
    for (auto& m : st.members)
      self->send(m.handle, ring_off_atom::value);
  }
  publish(self);
  st.link_paused = true;
  self->delayed_send(self, st.opt.link_retry_delay, train_retry_atom::value);
}

// The batches of `outstanding` that are in the model.
ingest_fenced trained_of(const master_state& st, const std::vector<batch_ref>& outstanding) {
  ingest_fenced out;
  for (auto& b : outstanding)
    if (st.trained.count({b.epoch, b.batch}) > 0)
      out.trained.push_back(b);
  return out;
}

// Asks shard `i` which of `f`'s batches it applied, and fences the incarnation there. A shard
// that cannot answer is being restarted; it is asked again with the next member re-send until
// `give_up_at`, since its new instance answers from its checkpoint and update log. `answered`
// gets the shard's reply, or nullopt after giving up.
void ask_shard_fence(master_actor* self, size_t i, ingest_fence f,
                     std::chrono::steady_clock::time_point give_up_at,
                     std::function<void(const std::optional<ingest_fenced>&)> answered) {
  auto& st = self->state;
  auto retry = [self, i, f, give_up_at, answered] {
    if (std::chrono::steady_clock::now() >= give_up_at) {
      answered(std::nullopt);
      return;
    }
    self->state.fence_retries.emplace_back(
        [self, i, f, give_up_at, answered] { ask_shard_fence(self, i, f, give_up_at, answered); });
    resend_ps_members_soon(self);
  };
  auto shard = st.svc.names->get(st.opt.shard_paths[i]);
  if (!shard) {
    retry();
    return;
  }
  self->request(shard, st.opt.request_timeout, f)
      .then([answered](ingest_fenced& r) { answered(r); }, [retry](caf::error&) { retry(); });
}

// A trainer is lost with `f.outstanding` batches: answers which of them the model holds, once
// nothing the lost incarnation sent can change that any more.
//   allreduce  a step it is part of is aborted now (the down message may come later), so its
//              batch is in the model only if a step committed it.
//   ps         every shard refuses its pushes from now on and reports the batches it applied;
//              a batch applied by any shard counts as trained (a push lost to some shards only,
//              with a killed node, is not repeated on the others; it is counted and logged as
//              a partial push). Batches it never reported are counted here, once. A shard being
//              restarted is asked once it is back, and every later shard instance is told to
//              refuse the incarnation too.
void fence(master_actor* self, ingest_fence f, caf::response_promise rp) {
  auto& st = self->state;
  if (st.opt.kind == strategy::allreduce) {
    if (f.handle)
      remove_member(self, f.handle.address());
    rp.deliver(trained_of(st, f.outstanding));
    return;
  }
  if (f.handle)
    st.fences.push_back(ingest_fence{f.trainer, f.handle, {}});
  // Per batch, how many of the shards that answered applied it.
  auto applied = std::make_shared<std::map<std::pair<uint64_t, uint64_t>, size_t>>();
  auto answering = std::make_shared<size_t>(0);
  auto done = [self, f, rp, applied, answering]() mutable {
    auto& st = self->state;
    bool counted = false;
    for (auto& b : f.outstanding) {
      auto found = applied->find({b.epoch, b.batch});
      if (found == applied->end())
        continue;
      if (found->second < *answering) {
        ++st.progress.partial_pushes;
        counted = true;
        st.log.warn("batch {} of epoch {} from lost trainer {} reached {} of {} answering shards: "
                    "it counts as trained, its gradient is missing on the others",
                    b.batch, b.epoch, f.trainer, found->second, *answering);
      }
      if (st.trained.insert({b.epoch, b.batch}).second) {
        ++st.progress.steps;
        st.progress.samples += b.samples;
        counted = true;
      }
    }
    if (counted) {
      save_snapshot(self);
      publish(self);
    }
    rp.deliver(trained_of(st, f.outstanding));
  };
  auto left = std::make_shared<size_t>(st.opt.shard_paths.size());
  if (*left == 0) {
    done();
    return;
  }
  auto give_up_at = std::chrono::steady_clock::now() + fence_shard_patience;
  for (size_t i = 0; i < st.opt.shard_paths.size(); ++i)
    ask_shard_fence(
        self, i, f, give_up_at,
        [applied, answering, left, done](const std::optional<ingest_fenced>& r) mutable {
          if (r) {
            ++*answering;
            for (auto& b : r->trained)
              ++(*applied)[{b.epoch, b.batch}];
          }
          if (--*left == 0)
            done();
        });
}

caf::error stopped_error(const master_state& st) {
  return caf::make_error(training_errc::stopped,
                         "stopped after " + std::to_string(st.progress.steps) + " steps");
}

// The state is saved: counters out, waiting callers told that the job stopped.
void complete_stop(master_actor* self) {
  auto& st = self->state;
  st.saving = false;
  st.stopped = true;
  auto err = save_replica(self);
  if (!err)
    err = save_snapshot(self);
  if (err) {
    for (auto& rp : st.result_waiters)
      rp.deliver(err);
    st.result_waiters.clear();
    return;
  }
  publish(self);
  for (auto& rp : st.result_waiters)
    rp.deliver(stopped_error(st));
  st.result_waiters.clear();
}

void fail_stop(master_actor* self, caf::error err) {
  auto& st = self->state;
  st.saving = false;
  for (auto& rp : st.result_waiters)
    rp.deliver(err);
  st.result_waiters.clear();
}

// The job drained: save what it holds. allreduce: a member's replica state (the committed
// values; every member holds the same); ps: each shard's checkpoint file.
void finish_stop(master_actor* self) {
  auto& st = self->state;
  if (st.saving || st.stopped)
    return;
  st.saving = true;
  if (st.opt.kind == strategy::allreduce) {
    if (st.members.empty()) {
      complete_stop(self);
      return;
    }
    self->request(st.members.front().handle, st.opt.request_timeout, train_get_state_atom::value)
        .then(
            [self](train_state& s) {
              s.step = self->state.progress.steps;
              self->state.saved = std::move(s);
              complete_stop(self);
            },
            [self](caf::error& err) { fail_stop(self, err); });
    return;
  }
  auto failed = std::make_shared<bool>(false);
  ask_every_shard<>(
      self, std::make_tuple(ps_checkpoint_atom::value), [](size_t) {},
      [self, failed](size_t i, caf::error& err) {
        if (*failed)
          return;
        *failed = true;
        fail_stop(self, caf::make_error(training_errc::job_failed,
                                        "shard " + self->state.opt.shard_paths[i] +
                                            " did not checkpoint: " + describe(err)));
      },
      [self, failed] {
        if (!*failed)
          complete_stop(self);
      });
}

// A stopping job: pauses the coordinator and asks it whether every issued batch is
// acknowledged in its saved ledger, and whether the master saw every epoch end it sent (an
// epoch that ended while draining reaches the master through a trainer). Until then, steps go
// on and the poll repeats.
void poll_drain(master_actor* self) {
  auto& st = self->state;
  if (st.drained || st.finished)
    return;
  auto coordinator = st.svc.names->get(st.opt.coordinator_path);
  auto again = [self] {
    self->delayed_send(self, self->state.opt.drain_poll, train_drain_atom::value);
  };
  if (!coordinator) {
    again();
    return;
  }
  self->request(coordinator, st.opt.request_timeout, ingest_pause_atom::value)
      .then(
          [self, again](ingest_status& s) {
            auto& st = self->state;
            if (st.drained || st.finished)
              return;
            // allreduce before the first step: nothing was committed, so nothing is
            // acknowledged that the saved ledger could miss; issued batches return on resume.
            bool idle = st.opt.kind == strategy::allreduce && !st.started;
            if (!s.finished && s.epoch == st.epochs_seen.size() && (s.outstanding == 0 || idle)) {
              st.drained = true;
              if (st.opt.kind == strategy::ps || idle)
                finish_stop(self);
              else
                maybe_step(self);
              return;
            }
            again();
          },
          [again](caf::error&) { again(); });
}

caf::behavior master_fun(master_actor* self, job_master_options opt, runtime::runtime_services svc,
                         std::shared_ptr<runtime::snapshot_store> store, std::string key,
                         std::optional<job_master_snapshot> restored,
                         std::optional<train_state> replica) {
  self->state.opt = std::move(opt);
  self->state.svc = std::move(svc);
  self->state.store = std::move(store);
  self->state.key = std::move(key);
  self->state.log = runtime::actor_log{spdlog::default_logger(),
                                       self->state.key.empty() ? "train/master" : self->state.key};
  if (restored)
    restore(self->state, std::move(*restored), std::move(replica));
  self->set_down_handler([self](caf::down_msg& dm) {
    if (self->state.watched_shards.erase(dm.source) > 0) {
      resend_ps_members_soon(self);
      return;
    }
    remove_member(self, dm.source);
  });
  return {
      [self](train_hello_atom, train_hello& h) {
        auto& st = self->state;
        self->monitor(h.handle);
        auto same = [&](const member& m) { return m.id == h.trainer; };
        // A restarted trainer replaces its previous incarnation, which left the job.
        auto old = std::find_if(st.members.begin(), st.members.end(), same);
        if (old != st.members.end() && old->handle != h.handle)
          remove_member(self, old->handle.address());
        st.joiners.erase(std::remove_if(st.joiners.begin(), st.joiners.end(), same),
                         st.joiners.end());
        if (st.opt.kind == strategy::ps) {
          st.members.push_back(member{h.trainer, h.handle});
          ps_membership(self);
          publish(self);
          return;
        }
        st.joiners.push_back(member{h.trainer, h.handle});
        maybe_step(self);
      },
      [self](train_reduced& r) {
        auto& st = self->state;
        if (st.opt.kind == strategy::ps) {
          st.clocks[r.trainer] = r.step + 1;
          // The trainer's clock after the push against the slowest member's, as the shards
          // saw it when they answered (reports reach the master in any order).
          if (r.step + 1 > r.slowest)
            st.progress.max_staleness = std::max(st.progress.max_staleness, r.step + 1 - r.slowest);
          st.progress.compute_ns += r.compute_ns;
          st.progress.comm_ns += r.comm_ns;
          st.progress.wait_ns += r.wait_ns;
          // A batch a fence found applied before this report arrived is counted already.
          if (r.samples > 0 &&
              (!r.has_batch || st.trained.insert({r.batch_epoch, r.batch}).second)) {
            ++st.progress.steps;
            st.progress.samples += r.samples;
            st.progress.loss = r.loss;
            save_snapshot(self);
            publish(self);
          }
          return;
        }
        if (!st.in_flight || r.step != st.step)
          return;
        st.progress.compute_ns += r.compute_ns;
        st.progress.comm_ns += r.comm_ns;
        st.progress.wait_ns += r.wait_ns;
        st.reduced.insert(r.trainer);
        if (r.has_batch)
          st.step_batches[r.trainer] = {r.batch_epoch, r.batch};
        if (st.reduced.size() < st.members.size())
          return;
        acknowledge_step_batches(self);
        for (const auto& [trainer, key] : st.step_batches)
          st.trained.insert(key);
        for (auto& m : st.members)
          self->send(m.handle, train_commit_atom::value, st.step);
        st.in_flight = false;
        st.link_failures = 0;
        if (r.samples > 0) {
          ++st.progress.steps;
          st.progress.samples += r.samples;
          st.progress.loss = r.loss;
          // Saved with the commit: the trainers acknowledge its batches once they apply it.
          save_snapshot(self);
          publish(self);
          if (st.opt.save_every > 0 && st.progress.steps % st.opt.save_every == 0 &&
              !st.members.empty())
            self->request(st.members.front().handle, st.opt.request_timeout,
                          train_get_state_atom::value)
                .then(
                    [self, at = st.progress.steps](train_state& s) {
                      s.step = at;
                      self->state.saved = std::move(s);
                      if (!save_replica(self))
                        save_snapshot(self);
                    },
                    [](caf::error&) {});
        }
        maybe_step(self);
      },
      [self](train_epoch_atom, ingest_epoch_end& e) {
        auto& st = self->state;
        if (!st.epochs_seen.insert(e.epoch).second)
          return;
        // Every batch of the epoch is acknowledged: no fence can ask about it any more.
        st.trained.erase(st.trained.begin(), st.trained.lower_bound({e.epoch + 1, 0}));
        st.progress.epochs_done = st.epochs_seen.size();
        st.progress.ledger_samples += e.samples;
        st.progress.epoch = e.epoch + 1;
        save_snapshot(self);
        if (e.last && !st.finished) {
          st.finished = true;
          st.progress.finished = true;
          publish(self);
          collect_result(self);
        }
      },
      [self](ingest_fence& f) -> caf::result<ingest_fenced> {
        auto rp = self->make_response_promise<ingest_fenced>();
        fence(self, std::move(f), rp);
        return rp;
      },
      [self](train_stop_atom) {
        auto& st = self->state;
        if (st.stopping || st.finished)
          return;
        st.stopping = true;
        self->send(self, train_drain_atom::value);
      },
      [self](train_drain_atom) { poll_drain(self); },
      [self](ps_resend_atom) {
        auto& st = self->state;
        st.resend_pending = false;
        if (!send_ps_members(self))
          resend_ps_members_soon(self);
        auto retries = std::move(st.fence_retries);
        st.fence_retries.clear();
        for (auto& ask : retries)
          ask();
      },
      [self](ring_failed_atom, uint64_t step, caf::error& err) { link_failed(self, step, err); },
      [self](train_retry_atom) {
        self->state.link_paused = false;
        maybe_step(self);
      },
      [self](train_result_atom) -> caf::result<train_state> {
        auto& st = self->state;
        if (st.stopped)
          return stopped_error(st);
        if (st.result)
          return *st.result;
        auto rp = self->make_response_promise();
        st.result_waiters.push_back(rp);
        return rp;
      },
  };
}

} // namespace

std::string replica_key(const std::string& master_key) {
  return master_key + "/replica";
}

caf::expected<std::vector<uint8_t>> encode_master_snapshot(const job_master_snapshot& snapshot) {
  std::vector<char> buffer;
  caf::binary_serializer sink{nullptr, buffer};
  auto copy = snapshot;
  if (auto err = sink(copy))
    return err;
  return std::vector<uint8_t>{buffer.begin(), buffer.end()};
}

caf::expected<job_master_snapshot> decode_master_snapshot(const std::vector<uint8_t>& bytes) {
  std::vector<char> buffer{bytes.begin(), bytes.end()};
  // The version first: another layout would not decode, or decode into nonsense.
  uint16_t version = 0;
  caf::binary_deserializer head{nullptr, buffer};
  if (auto err = head(version))
    return caf::make_error(training_errc::bad_checkpoint,
                           "the job master's snapshot does not decode");
  if (version != job_master_snapshot{}.format_version)
    return caf::make_error(training_errc::bad_checkpoint,
                           "the job master's snapshot has layout version " +
                               std::to_string(version) + ", this build reads " +
                               std::to_string(job_master_snapshot{}.format_version));
  caf::binary_deserializer source{nullptr, buffer};
  job_master_snapshot out;
  if (auto err = source(out))
    return caf::make_error(training_errc::bad_checkpoint,
                           "the job master's snapshot does not decode");
  return out;
}

runtime::start_function job_master_start(job_master_options options) {
  return [options](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
    std::optional<job_master_snapshot> restored;
    std::optional<train_state> replica;
    if (ctx.snapshot) {
      auto snap = decode_master_snapshot(ctx.snapshot->payload);
      if (!snap)
        return snap.error();
      if (snap->fingerprint != options.fingerprint)
        return caf::make_error(training_errc::bad_checkpoint,
                               ctx.path + ": the snapshot is of another job (" + snap->fingerprint +
                                   "; this one is " + options.fingerprint + ")");
      if (snap->has_replica && ctx.snapshots) {
        auto record = ctx.snapshots->load(replica_key(ctx.path));
        if (!record)
          return record.error();
        if (!*record)
          return caf::make_error(training_errc::bad_checkpoint,
                                 ctx.path + ": the snapshot names a replica state that is missing");
        replica = train_state{snap->replica_step, encoded_bundle{std::move((*record)->payload)}};
      }
      restored = std::move(*snap);
    }
    return ctx.system.spawn(master_fun, options, ctx.services, ctx.snapshots, ctx.path,
                            std::move(restored), std::move(replica));
  };
}

} // namespace dmlp::training
