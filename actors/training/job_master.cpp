#include "actors/training/job_master.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "messages/atoms.hpp"
#include "messages/ingest.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::training {

namespace {

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
  std::optional<train_state> saved;
  std::set<uint64_t> epochs_seen;
  train_progress progress;
  std::vector<caf::response_promise> result_waiters;
  std::optional<train_state> result;
  std::map<std::string, uint64_t> clocks;
};

using master_actor = caf::stateful_actor<master_state>;

void maybe_step(master_actor* self);

void publish(master_actor* self) {
  auto& st = self->state;
  st.progress.workers = static_cast<uint32_t>(st.members.size());
  if (st.opt.listener)
    self->send(st.opt.listener, st.progress);
}

void ps_membership(master_actor* self) {
  auto& st = self->state;
  ps_members m;
  for (auto& x : st.members)
    m.trainers.push_back(x.id);
  for (auto& path : st.opt.shard_paths)
    if (auto shard = st.svc.names->get(path))
      self->send(shard, m);
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
  size_t total = 0;
  for (auto s : st.opt.shard_sizes)
    total += s;
  auto values = std::make_shared<std::vector<float>>(total);
  auto left = std::make_shared<size_t>(st.opt.shard_paths.size());
  size_t pos = 0;
  for (size_t i = 0; i < st.opt.shard_paths.size(); ++i) {
    auto shard = st.svc.names->get(st.opt.shard_paths[i]);
    auto size = st.opt.shard_sizes[i];
    self->request(shard, st.opt.request_timeout, ps_pull_atom::value, std::string{})
        .then(
            [self, values, left, pos, size](ps_params& p) {
              auto vals = decode_values(p.data, size);
              if (vals)
                std::copy(vals->begin(), vals->end(), values->begin() + pos);
              if (--*left == 0) {
                flat_state s;
                s.values = std::move(*values);
                auto bytes = encode_state(s);
                if (bytes) {
                  self->state.result = train_state{self->state.progress.steps, std::move(*bytes)};
                  deliver_result(self);
                }
              }
            },
            [self](caf::error&) { collect_result(self); });
    pos += size;
  }
}

void start_step(master_actor* self) {
  auto& st = self->state;
  if (st.members.empty())
    return;
  ++st.step;
  st.in_flight = true;
  st.reduced.clear();
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
  if (st.in_flight || st.admitting || st.finished)
    return;
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
  if (st.in_flight) {
    for (auto& m : st.members)
      self->send(m.handle, train_abort_atom::value, st.step);
    st.in_flight = false;
  }
  publish(self);
  maybe_step(self);
}

caf::behavior master_fun(master_actor* self, job_master_options opt,
                         runtime::runtime_services svc) {
  self->state.opt = std::move(opt);
  self->state.svc = std::move(svc);
  self->set_down_handler([self](caf::down_msg& dm) { remove_member(self, dm.source); });
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
          if (r.samples > 0) {
            ++st.progress.steps;
            st.progress.samples += r.samples;
            st.progress.loss = r.loss;
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
        if (st.reduced.size() < st.members.size())
          return;
        for (auto& m : st.members)
          self->send(m.handle, train_commit_atom::value, st.step);
        st.in_flight = false;
        if (r.samples > 0) {
          ++st.progress.steps;
          st.progress.samples += r.samples;
          st.progress.loss = r.loss;
          publish(self);
          if (st.opt.save_every > 0 && st.progress.steps % st.opt.save_every == 0 &&
              !st.members.empty())
            self->request(st.members.front().handle, st.opt.request_timeout,
                          train_get_state_atom::value)
                .then([self](train_state& s) { self->state.saved = std::move(s); },
                      [](caf::error&) {});
        }
        maybe_step(self);
      },
      [self](train_epoch_atom, ingest_epoch_end& e) {
        auto& st = self->state;
        if (!st.epochs_seen.insert(e.epoch).second)
          return;
        st.progress.epochs_done = st.epochs_seen.size();
        st.progress.ledger_samples += e.samples;
        st.progress.epoch = e.epoch + 1;
        if (e.last && !st.finished) {
          st.finished = true;
          st.progress.finished = true;
          publish(self);
          collect_result(self);
        }
      },
      [self](train_result_atom) -> caf::result<train_state> {
        auto& st = self->state;
        if (st.result)
          return *st.result;
        auto rp = self->make_response_promise();
        st.result_waiters.push_back(rp);
        return rp;
      },
  };
}

} // namespace

runtime::start_function job_master_start(job_master_options options) {
  return [options](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
    return ctx.system.spawn(master_fun, options, ctx.services);
  };
}

} // namespace dmlp::training
