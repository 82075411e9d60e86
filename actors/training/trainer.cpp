#include "actors/training/trainer.hpp"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <caf/all.hpp>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/replica.hpp"
#include "actors/training/ring_allreduce.hpp"
#include "actors/training/ring_link.hpp"
#include "messages/atoms.hpp"
#include "messages/ingest.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::training {

namespace {

using clock_type = std::chrono::steady_clock;

// With the default 50 ms retry interval: 30 s for a coordinator to come back.
constexpr uint32_t max_ack_attempts = 600;

uint64_t ns_since(clock_type::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t).count());
}

struct trainer_state {
  static inline const char* name = "dmlp.trainer";

  trainer_options opt;
  std::string id;
  runtime::runtime_services svc;
  std::unique_ptr<replica> model;
  std::unique_ptr<flat_optimizer> optimizer;
  std::vector<float> values;
  size_t params = 0;
  caf::actor coordinator;
  caf::actor master;
  std::vector<caf::actor> shards;
  bool registered = false;
  bool has_state = false;
  bool finished = false;
  uint64_t batch_epoch = 0;
  uint64_t global_batch = 0;
  std::deque<ingest_batch> batches;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  // Trained batches whose acknowledgement the coordinator has not confirmed yet, with the
  // attempts made. They are acknowledged again until it does: dropping one would leave it
  // outstanding at a restarted coordinator forever and its epoch would never end.
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> unconfirmed;
  clock_type::time_point wait_start = clock_type::now();
  uint64_t compute_ns = 0;
  uint64_t wait_ns = 0;
  clock_type::time_point comm_start;
  std::vector<float> exchange;
  bool used_batch = false;
  // allreduce: `exchange` holds the gradient of batches.front() on the current values, computed
  // between steps so that the next step starts its ring at once.
  bool ahead = false;
  // allreduce
  std::optional<train_step> step;
  bool computed = false;
  bool reduced = false;
  ring_allreduce ring{0};
  // direct_link: the ring link, which holds `exchange` while a step runs on it, and where the
  // next trainer's link listens (asked once per next trainer).
  caf::actor link;
  caf::actor_addr link_next;
  std::string link_next_host;
  uint16_t link_next_port = 0;
  uint64_t link_next_nonce = 0;
  bool link_summed = false;
  // ps
  uint64_t clock = 0;
  bool pushing = false;
  bool idle_armed = false;
  size_t replies = 0;
  // The smallest `slowest` among the shards' answers to the current push.
  uint64_t slowest = 0;
  std::vector<bool> replied;
  uint64_t push_samples = 0;
  double push_lr = 0;
  uint32_t workers = 1;
  std::vector<size_t> shard_begin;
};

using trainer_actor = caf::stateful_actor<trainer_state>;

caf::actor lookup(trainer_actor* self, const std::string& path) {
  return self->state.svc.names ? self->state.svc.names->get(path) : caf::actor{};
}

void begin_compute(trainer_actor* self);
void ps_step(trainer_actor* self);

// Acknowledges a trained batch; retried every retry_interval (a coordinator being restarted
// refuses at once) until the coordinator confirms it or says it went elsewhere.
void send_ack(trainer_actor* self, std::pair<uint64_t, uint64_t> key) {
  auto& st = self->state;
  if (!st.coordinator)
    st.coordinator = lookup(self, st.opt.coordinator_path);
  self->request(st.coordinator, st.opt.request_timeout, ingest_ack{st.id, key.first, key.second, 1})
      .then([self, key] { self->state.unconfirmed.erase(key); },
            [self, key](caf::error& err) {
              auto& st = self->state;
              auto i = st.unconfirmed.find(key);
              // not_outstanding: the batch went elsewhere after a coordinator restart.
              if (i == st.unconfirmed.end() || err == ingest::ingest_errc::not_outstanding ||
                  ++i->second > max_ack_attempts) {
                st.unconfirmed.erase(key);
                return;
              }
              st.coordinator = {};
              self->delayed_send(self, st.opt.retry_interval, train_retry_atom::value);
              self->delayed_send(self, st.opt.retry_interval, train_retry_atom::value, key.first,
                                 key.second);
            });
}

void ack_batch(trainer_actor* self, const ingest_batch& b) {
  auto key = std::make_pair(b.epoch, b.batch);
  self->state.unconfirmed[key] = 0;
  send_ack(self, key);
}

void register_with_coordinator(trainer_actor* self) {
  auto& st = self->state;
  st.coordinator = lookup(self, st.opt.coordinator_path);
  if (!st.coordinator) {
    self->delayed_send(self, st.opt.retry_interval, train_retry_atom::value);
    return;
  }
  self->monitor(st.coordinator);
  self->request(st.coordinator, st.opt.request_timeout, ingest_register{st.id, st.opt.window})
      .then(
          [self](ingest_job& job) {
            auto& st = self->state;
            st.registered = true;
            st.batch_epoch = job.epoch;
            st.global_batch = job.batch_size;
            self->request(st.coordinator, st.opt.request_timeout, ingest_credit{st.id, job.window})
                .then([] {}, [](caf::error&) {});
          },
          [self](caf::error&) {
            self->state.coordinator = {};
            self->delayed_send(self, self->state.opt.retry_interval, train_retry_atom::value);
          });
}

void reattach(trainer_actor* self) {
  auto& st = self->state;
  if (st.finished)
    return;
  auto current = lookup(self, st.opt.coordinator_path);
  if (!current) {
    self->delayed_send(self, st.opt.retry_interval, train_retry_atom::value);
    return;
  }
  if (!st.registered) {
    register_with_coordinator(self);
    return;
  }
  st.coordinator = current;
  self->monitor(current);
  self->request(current, st.opt.request_timeout, ingest_credit{st.id, 0})
      .then([] {},
            [self](caf::error& err) {
              if (err == ingest::ingest_errc::unknown_trainer)
                self->state.registered = false;
              self->delayed_send(self, self->state.opt.retry_interval, train_retry_atom::value);
            });
}

void adopt_state(trainer_actor* self, const train_state& s) {
  auto& st = self->state;
  auto decoded = decode_state(s.data, st.values.size());
  if (!decoded)
    return;
  st.values = std::move(decoded->values);
  if (decoded->m.size() == st.params)
    st.optimizer->first() = std::move(decoded->m);
  if (decoded->v.size() == st.params && !st.optimizer->second().empty())
    st.optimizer->second() = std::move(decoded->v);
  st.optimizer->steps() = decoded->t;
  st.model->write_values(st.values.data());
  st.has_state = true;
  st.ahead = false;
}

caf::expected<train_state> current_state(trainer_actor* self, uint64_t step) {
  auto& st = self->state;
  flat_state s;
  s.values = st.values;
  s.m = st.optimizer->first();
  s.v = st.optimizer->second();
  s.t = st.optimizer->steps();
  auto bytes = encode_state(s);
  if (!bytes)
    return bytes.error();
  return train_state{step, std::move(*bytes)};
}

// Computes the exchange vector from the front batch, or zeros without one.
void compute_exchange(trainer_actor* self) {
  auto& st = self->state;
  st.wait_ns = ns_since(st.wait_start);
  auto t0 = clock_type::now();
  st.used_batch = false;
  if (!st.batches.empty()) {
    auto out = st.model->compute(st.batches.front().data, st.exchange);
    if (out) {
      st.used_batch = true;
      st.batch_epoch = st.batches.front().epoch;
    } else {
      self->quit(out.error());
      return;
    }
  } else {
    st.exchange.assign(st.model->exchange_size(), 0.0f);
  }
  st.compute_ns = ns_since(t0);
}

// Applies a summed exchange vector: mean gradient through the optimizer, mean buffers.
void apply_sum(trainer_actor* self, double lr) {
  auto& st = self->state;
  auto total = st.exchange[st.values.size()];
  if (total <= 0)
    return;
  auto inv = 1.0f / total;
  std::vector<float> grads(st.params);
  for (size_t i = 0; i < st.params; ++i)
    grads[i] = st.exchange[i] * inv;
  st.optimizer->step(st.values.data(), grads.data(), lr);
  for (size_t i = st.params; i < st.values.size(); ++i)
    st.values[i] = st.exchange[i] * inv;
  st.model->write_values(st.values.data());
}

// -- ring all-reduce ------------------------------------------------------------------------

void send_chunks(trainer_actor* self, caf::expected<std::vector<train_chunk>> chunks) {
  if (!chunks) {
    self->quit(chunks.error());
    return;
  }
  for (auto& c : *chunks)
    self->send(self->state.step->next, std::move(c));
}

void finish_reduce(trainer_actor* self) {
  auto& st = self->state;
  st.reduced = true;
  auto samples = st.exchange[st.values.size()];
  train_reduced msg;
  msg.trainer = st.id;
  msg.step = st.step->step;
  msg.samples = static_cast<uint64_t>(samples);
  msg.loss = samples > 0 ? st.exchange[st.values.size() + 1] / samples : 0.0;
  msg.compute_ns = st.compute_ns;
  msg.comm_ns = ns_since(st.comm_start);
  msg.wait_ns = st.wait_ns;
  if (st.used_batch && !st.batches.empty()) {
    msg.has_batch = true;
    msg.batch_epoch = st.batches.front().epoch;
    msg.batch = st.batches.front().batch;
  }
  self->send(st.master, std::move(msg));
}

void finish_if_reduced(trainer_actor* self) {
  auto& st = self->state;
  if (!st.step || !st.computed || st.reduced)
    return;
  if (st.link ? st.link_summed : st.ring.done() && st.ring.step() == st.step->step)
    finish_reduce(self);
}

// The step cannot run on the links: the job master aborts it and, when that keeps happening,
// turns the job's links off (ring_off_atom).
void report_link_failure(trainer_actor* self, uint64_t step, const caf::error& err) {
  auto& st = self->state;
  if (!st.step || st.step->step != step)
    return;
  st.link_next = {};
  self->send(st.master, ring_failed_atom::value, step, err);
}

void run_on_link(trainer_actor* self) {
  auto& st = self->state;
  self->send(st.link, ring_run_atom::value, st.step->step, st.step->rank, st.step->size,
             st.link_next_host, st.link_next_port, st.link_next_nonce, std::move(st.exchange));
  st.exchange = {};
}

// Runs the step's ring on the link, once the next trainer said where its link listens.
void start_on_link(trainer_actor* self) {
  auto& st = self->state;
  if (st.step->size == 1 || st.link_next == st.step->next.address()) {
    run_on_link(self);
    return;
  }
  auto step = st.step->step;
  auto next = st.step->next;
  self->request(next, st.opt.request_timeout, ring_address_atom::value)
      .then(
          [self, step, next](std::string& host, uint16_t port, uint64_t nonce) {
            auto& st = self->state;
            st.link_next = next.address();
            st.link_next_host = std::move(host);
            st.link_next_port = port;
            st.link_next_nonce = nonce;
            if (st.step && st.step->step == step && st.computed && !st.exchange.empty())
              run_on_link(self);
          },
          // A lost next trainer is a lost member, whose step the master aborts anyway; a next
          // trainer without a link fails the step as an unreachable link does.
          [self, step](caf::error& err) { report_link_failure(self, step, err); });
}

void begin_compute(trainer_actor* self) {
  auto& st = self->state;
  if (!st.step || st.computed || !st.has_state)
    return;
  if (!st.ahead)
    compute_exchange(self);
  st.ahead = false;
  st.computed = true;
  st.comm_start = clock_type::now();
  if (st.link) {
    start_on_link(self);
    return;
  }
  send_chunks(self, st.ring.start(st.step->step, st.step->rank, st.step->size, st.exchange.data(),
                                  st.exchange.size()));
  finish_if_reduced(self);
}

// Computes the next step's gradient while no step runs (the replica holds the committed
// values), so the step that follows only runs the ring.
void compute_ahead(trainer_actor* self) {
  auto& st = self->state;
  if (st.opt.kind != strategy::allreduce || st.step || st.ahead || !st.has_state ||
      st.batches.empty())
    return;
  compute_exchange(self);
  st.ahead = st.used_batch;
}

// -- parameter servers ----------------------------------------------------------------------

void push_shard(trainer_actor* self, size_t i, uint64_t clock, uint64_t samples, double lr,
                uint32_t attempt);

void on_shard_reply(trainer_actor* self, size_t i, uint64_t clock, ps_params& p) {
  auto& st = self->state;
  if (!st.pushing || clock != st.clock || st.replied[i])
    return;
  st.replied[i] = true;
  auto vals = decode_values(p.data, st.opt.shard_sizes[i]);
  if (!vals) {
    self->quit(vals.error());
    return;
  }
  std::copy(vals->begin(), vals->end(), st.values.begin() + st.shard_begin[i]);
  st.slowest = st.replies == 0 ? p.slowest : std::min(st.slowest, p.slowest);
  if (++st.replies < st.shards.size())
    return;
  st.model->write_values(st.values.data());
  st.pushing = false;
  auto samples = static_cast<uint64_t>(st.exchange[st.values.size()]);
  train_reduced msg;
  msg.trainer = st.id;
  msg.step = st.clock;
  msg.samples = samples;
  msg.loss = samples > 0 ? st.exchange[st.values.size() + 1] / samples : 0.0;
  msg.compute_ns = st.compute_ns;
  msg.comm_ns = ns_since(st.comm_start);
  msg.wait_ns = st.wait_ns;
  msg.slowest = st.slowest;
  if (st.used_batch) {
    msg.has_batch = true;
    msg.batch_epoch = st.batches.front().epoch;
    msg.batch = st.batches.front().batch;
  }
  ++st.clock;
  // The master counts the batch before the ledger can end the epoch with it: the epoch's end
  // reaches the master through a trainer, after this message.
  if (st.master)
    self->send(st.master, std::move(msg));
  if (st.used_batch) {
    ack_batch(self, st.batches.front());
    st.batches.pop_front();
  }
  st.wait_start = clock_type::now();
  ps_step(self);
}

void push_shard(trainer_actor* self, size_t i, uint64_t clock, uint64_t samples, double lr,
                uint32_t attempt) {
  auto& st = self->state;
  if (!st.shards[i]) {
    st.shards[i] = lookup(self, st.opt.shard_paths[i]);
    if (st.shards[i])
      self->monitor(st.shards[i]);
  }
  auto vals = encode_values(st.exchange.data() + st.shard_begin[i], st.opt.shard_sizes[i]);
  if (!vals) {
    self->quit(vals.error());
    return;
  }
  ps_push push{st.id, clock, samples, lr, std::move(*vals)};
  if (st.used_batch && !st.batches.empty()) {
    push.batch_epoch = st.batches.front().epoch;
    push.batch = st.batches.front().batch;
  }
  self->request(st.shards[i], st.opt.request_timeout, std::move(push))
      .then([self, i, clock](ps_params& p) { on_shard_reply(self, i, clock, p); },
            [self, i, clock, samples, lr, attempt](caf::error&) {
              // The shard died or restarted: find its new instance and push again (it drops
              // pushes it already applied).
              auto& st = self->state;
              if (!st.pushing || st.clock != clock || st.replied[i])
                return;
              st.shards[i] = {};
              if (attempt < 200)
                self->delayed_send(self, self->state.opt.retry_interval, ps_pull_atom::value,
                                   static_cast<uint64_t>(i), clock, samples, lr, attempt + 1);
            });
}

void ps_step(trainer_actor* self) {
  auto& st = self->state;
  if (st.pushing || !st.has_state || st.finished)
    return;
  bool have = !st.batches.empty();
  // Without a batch, sync and ssp trainers still advance their clock with empty pushes so
  // that nobody waits for them at the end of an epoch.
  if (!have && st.opt.mode == consistency::async)
    return;
  if (!have && !st.idle_armed) {
    st.idle_armed = true;
    self->delayed_send(self, st.opt.idle_timeout, train_idle_atom::value, st.clock);
    return;
  }
  if (!have)
    return;
  st.pushing = true;
  compute_exchange(self);
  st.comm_start = clock_type::now();
  st.replies = 0;
  st.replied.assign(st.shards.size(), false);
  auto samples = static_cast<uint64_t>(st.exchange[st.values.size()]);
  auto lr = learning_rate(st.opt.optimizer, st.batch_epoch, st.global_batch * st.workers);
  st.push_samples = samples;
  st.push_lr = lr;
  auto clock = st.clock;
  auto fire = [self, clock, samples, lr] {
    for (size_t i = 0; i < self->state.shards.size(); ++i)
      push_shard(self, i, clock, samples, lr, 0);
  };
  if (st.opt.push_delay.count() > 0 && st.id == st.opt.slow_trainer)
    self->delayed_send(self, st.opt.push_delay, train_commit_atom::value, clock);
  else
    fire();
}

void empty_push(trainer_actor* self) {
  auto& st = self->state;
  st.pushing = true;
  compute_exchange(self);
  st.comm_start = clock_type::now();
  st.replies = 0;
  st.replied.assign(st.shards.size(), false);
  st.push_samples = 0;
  st.push_lr = 0;
  for (size_t i = 0; i < st.shards.size(); ++i)
    push_shard(self, i, st.clock, 0, 0.0, 0);
}

void pull_all(trainer_actor* self) {
  auto& st = self->state;
  auto left = std::make_shared<size_t>(st.shards.size());
  for (size_t i = 0; i < st.shards.size(); ++i) {
    if (!st.shards[i])
      st.shards[i] = lookup(self, st.opt.shard_paths[i]);
    self->request(st.shards[i], st.opt.request_timeout, ps_pull_atom::value, st.id)
        .then(
            [self, i, left](ps_params& p) {
              auto& st = self->state;
              auto vals = decode_values(p.data, st.opt.shard_sizes[i]);
              if (vals)
                std::copy(vals->begin(), vals->end(), st.values.begin() + st.shard_begin[i]);
              st.clock = std::max(st.clock, p.clock);
              if (--*left == 0) {
                st.model->write_values(st.values.data());
                st.has_state = true;
                ps_step(self);
              }
            },
            [self](caf::error&) {
              self->state.shards.assign(self->state.shards.size(), caf::actor{});
              self->delayed_send(self, self->state.opt.retry_interval, ps_pull_atom::value);
            });
  }
}

caf::behavior trainer_fun(trainer_actor* self, trainer_options opt, std::string id,
                          runtime::runtime_services svc) {
  auto& st = self->state;
  st.opt = std::move(opt);
  st.id = std::move(id);
  st.svc = std::move(svc);
  auto model = replica::create(st.opt.architecture, st.opt.seed, st.opt.threads);
  if (!model) {
    self->quit(model.error());
    return {};
  }
  st.model = std::move(*model);
  st.params = st.model->param_count();
  st.values.resize(st.params + st.model->buffer_count());
  st.model->read_values(st.values.data());
  st.optimizer = std::make_unique<flat_optimizer>(st.opt.optimizer, st.params);
  st.ring = ring_allreduce{st.opt.bucket_elems};
  if (st.opt.direct_link && st.opt.kind == strategy::allreduce) {
    ring_link_options link_opt;
    link_opt.host = st.opt.link_host;
    link_opt.bucket_elems = st.opt.bucket_elems;
    link_opt.log = st.svc.log;
    link_opt.advertise = st.opt.link_advertise;
    auto link = spawn_ring_link(self->system(), std::move(link_opt));
    if (!link) {
      self->quit(link.error());
      return {};
    }
    st.link = *link;
    self->link_to(st.link);
  }
  size_t pos = 0;
  for (auto s : st.opt.shard_sizes) {
    st.shard_begin.push_back(pos);
    pos += s;
  }
  st.shards.resize(st.opt.shard_paths.size());
  st.master = lookup(self, st.opt.master_path);
  if (!st.master) {
    self->quit(
        caf::make_error(training_errc::job_failed, "no job master at " + st.opt.master_path));
    return {};
  }
  self->monitor(st.master);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.master) {
      self->quit(caf::make_error(training_errc::job_failed, "job master is gone"));
      return;
    }
    for (size_t i = 0; i < st.shards.size(); ++i)
      if (st.shards[i] && dm.source == st.shards[i]) {
        st.shards[i] = {};
        if (st.pushing && !st.replied[i])
          self->delayed_send(self, st.opt.retry_interval, ps_pull_atom::value,
                             static_cast<uint64_t>(i), st.clock, st.push_samples, st.push_lr,
                             uint32_t{1});
      }
    if (dm.source == st.coordinator) {
      st.coordinator = {};
      self->delayed_send(self, st.opt.retry_interval, train_retry_atom::value);
    }
  });
  self->send(st.master, train_hello_atom::value,
             train_hello{st.id, caf::actor_cast<caf::actor>(self)});
  register_with_coordinator(self);
  if (st.opt.kind == strategy::ps)
    pull_all(self);
  return {
      // -- ingest --------------------------------------------------------------------------
      [self](ingest_batch& b) {
        auto& st = self->state;
        if (!st.seen.emplace(b.epoch, b.batch).second) {
          // A restarted coordinator re-sends what it has not seen acknowledged.
          auto key = std::make_pair(b.epoch, b.batch);
          if (st.unconfirmed.count(key) > 0)
            send_ack(self, key);
          return;
        }
        st.batches.push_back(std::move(b));
        if (st.opt.kind == strategy::allreduce) {
          begin_compute(self);
          compute_ahead(self);
        } else
          ps_step(self);
      },
      [self](ingest_epoch_end& e) {
        auto& st = self->state;
        if (e.last)
          st.finished = true;
        self->send(st.master, train_epoch_atom::value, e);
      },
      [self](train_retry_atom) {
        auto& st = self->state;
        if (!st.coordinator || !st.registered)
          reattach(self);
      },
      [self](train_retry_atom, uint64_t epoch, uint64_t batch) {
        auto key = std::make_pair(epoch, batch);
        if (self->state.unconfirmed.count(key) > 0)
          send_ack(self, key);
      },
      // -- job master ----------------------------------------------------------------------
      [self](train_state_atom, train_state& s) { adopt_state(self, s); },
      [self](train_get_state_atom) -> caf::result<train_state> {
        auto s = current_state(self, 0);
        if (!s)
          return s.error();
        return std::move(*s);
      },
      [self](train_workers_atom, uint32_t n) { self->state.workers = std::max(1u, n); },
      // -- all-reduce ----------------------------------------------------------------------
      [self](train_step& s) {
        auto& st = self->state;
        st.step = s;
        st.computed = false;
        st.reduced = false;
        st.link_summed = false;
        st.workers = s.size;
        st.wait_start = clock_type::now();
        if (!st.batches.empty())
          begin_compute(self);
        else
          self->delayed_send(self, st.opt.idle_timeout, train_idle_atom::value, s.step);
      },
      [self](train_idle_atom, uint64_t step) {
        auto& st = self->state;
        if (st.opt.kind == strategy::ps) {
          st.idle_armed = false;
          if (st.pushing || !st.batches.empty() || st.finished || !st.has_state)
            return;
          // A timer armed at an older clock (the trainer had batches since) must not use up
          // the idle wait: without a new one this trainer never pushes empty again, and a sync
          // round waiting for it — the last batches of a draining job — never closes.
          if (st.clock == step)
            empty_push(self);
          else
            ps_step(self);
          return;
        }
        if (st.step && st.step->step == step)
          begin_compute(self);
      },
      [self](train_chunk& c) {
        send_chunks(self, self->state.ring.receive(std::move(c)));
        finish_if_reduced(self);
      },
      [self](ring_address_atom) {
        auto& st = self->state;
        auto answer = self->make_response_promise();
        if (st.link)
          answer.delegate(st.link, ring_address_atom::value);
        else
          answer.deliver(
              caf::make_error(training_errc::invalid_option, "this trainer has no ring link"));
      },
      [self](ring_done_atom, uint64_t step, std::vector<float>& sum) {
        auto& st = self->state;
        // The answer of an aborted step comes late; its sum is not this step's.
        if (!st.step || st.step->step != step)
          return;
        st.exchange = std::move(sum);
        st.link_summed = true;
        finish_if_reduced(self);
      },
      // Malformed bytes from a neighbour stop the trainer, as a malformed train_chunk does.
      [self](ring_failed_atom, uint64_t step, caf::error& err) {
        if (err == training_errc::bad_bundle)
          self->quit(std::move(err));
        else
          report_link_failure(self, step, err);
      },
      [self](ring_off_atom) {
        auto& st = self->state;
        if (!st.link)
          return;
        self->unlink_from(st.link);
        self->send_exit(st.link, caf::exit_reason::user_shutdown);
        st.link = {};
        st.link_next = {};
      },
      [self](train_commit_atom, uint64_t step) {
        auto& st = self->state;
        if (st.opt.kind == strategy::ps) {
          // A delayed push (push_delay) is due.
          if (st.pushing && st.clock == step) {
            auto samples = static_cast<uint64_t>(st.exchange[st.values.size()]);
            auto lr = learning_rate(st.opt.optimizer, st.batch_epoch, st.global_batch * st.workers);
            for (size_t i = 0; i < st.shards.size(); ++i)
              push_shard(self, i, step, samples, lr, 0);
          }
          return;
        }
        if (!st.step || st.step->step != step || !st.reduced)
          return;
        apply_sum(self, st.step->lr);
        if (st.used_batch) {
          ack_batch(self, st.batches.front());
          st.batches.pop_front();
        }
        st.step.reset();
        st.wait_start = clock_type::now();
        compute_ahead(self);
      },
      [self](train_abort_atom, uint64_t step) {
        auto& st = self->state;
        if (st.step && st.step->step == step) {
          // The ring may have summed into `exchange`: compute the gradient again.
          st.step.reset();
          st.ring.reset();
          if (st.link)
            self->send(st.link, train_abort_atom::value, step);
          st.ahead = false;
          compute_ahead(self);
        }
      },
      [self](ps_pull_atom) { pull_all(self); },
      [self](ps_pull_atom, uint64_t i, uint64_t clock, uint64_t samples, double lr,
             uint32_t attempt) {
        auto& st = self->state;
        if (st.pushing && st.clock == clock && i < st.replied.size() && !st.replied[i])
          push_shard(self, static_cast<size_t>(i), clock, samples, lr, attempt);
      },
  };
}

} // namespace

runtime::start_function trainer_start(trainer_options options) {
  return [options](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
    std::string id = ctx.id;
    if (ctx.args.match_elements<std::string>())
      id = ctx.args.get_as<std::string>(0);
    // A trainer computes for milliseconds at a time: on its own thread it never holds up the
    // coordinator, the master or the other trainers' messages on the shared scheduler threads.
    return ctx.system.spawn<caf::detached>(trainer_fun, options, id, ctx.services);
  };
}

} // namespace dmlp::training
