#include "actors/training/ps_shard.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/ps_update_log.hpp"
#include "messages/atoms.hpp"
#include "messages/checked_file.hpp"
#include "messages/errors.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"
#include "runtime/logging.hpp"
#include "runtime/record_log.hpp"
#include "runtime/storage.hpp"

namespace dmlp::training {

namespace {

constexpr uint32_t checkpoint_version = 1;

// Batches remembered per trainer for fences: far more than a trainer's ingest window, which
// bounds how many of its batches can be outstanding when it is lost.
constexpr size_t remembered_batches = 256;

file_magic checkpoint_magic() {
  return make_magic("DMLPPSCK");
}

tensor int64_tensor(const std::string& name, const std::vector<int64_t>& xs) {
  tensor t;
  t.name = name;
  t.type = dtype::int64;
  t.shape = {static_cast<int64_t>(xs.size())};
  t.data.resize(xs.size() * sizeof(int64_t));
  if (!xs.empty())
    std::memcpy(t.data.data(), xs.data(), t.data.size());
  return t;
}

struct shard_state {
  static inline const char* name = "dmlp.ps_shard";
  ps_shard_options opt;
  std::vector<float> values;
  std::unique_ptr<flat_optimizer> optimizer;
  std::unique_ptr<consistency_gate> gate;
  uint64_t version = 0;
  uint64_t since_checkpoint = 0;
  std::vector<float> round_sum;
  double round_lr = 0;
  // Every request of a trainer still waiting for its answer (a re-push adds one).
  std::map<std::string, std::vector<caf::response_promise>> waiting;
  // Each trainer's batches whose push was applied or added to the open round, newest last.
  std::map<std::string, std::deque<batch_ref>> applied;
  // Lost trainer incarnations: their pushes still on the way are refused.
  std::set<caf::actor_addr> fenced;
  // What changed the state since the last checkpoint (ps_update_log.hpp); none without a
  // checkpoint file, or after an append failed until the next checkpoint.
  std::optional<runtime::record_log> log;
  // While the log replays at start: no checkpoints (the log being read is still the one that
  // follows the loaded checkpoint).
  bool replaying = false;
  runtime::actor_log out;
};

using shard_actor = caf::stateful_actor<shard_state>;

// Writes the shard's state to its checkpoint file (periodically, and when a stopping job asks).
caf::error write_checkpoint(shard_actor* self) {
  auto& st = self->state;
  if (st.opt.checkpoint_file.empty())
    return caf::make_error(training_errc::invalid_option, "the shard has no checkpoint file");
  ps_checkpoint ck;
  ck.index = st.opt.index;
  ck.version = st.version;
  ck.rounds = st.gate->rounds();
  ck.values = st.values;
  ck.m = st.optimizer->first();
  ck.v = st.optimizer->second();
  ck.t = st.optimizer->steps();
  ck.clocks = st.gate->clocks();
  ck.members = st.gate->members();
  for (auto& [trainer, batches] : st.applied)
    ck.applied[trainer].assign(batches.begin(), batches.end());
  auto bytes = encode_checkpoint(ck);
  if (!bytes)
    return bytes.error();
  return runtime::write_file_atomic(st.opt.checkpoint_file, *bytes);
}

// Forgets the update log, so that a restart does not replay a log with a gap; the next
// checkpoint starts a new one.
void drop_log(shard_actor* self, const caf::error& why) {
  auto& st = self->state;
  st.out.warn("update log off until the next checkpoint (a restart resumes from the "
              "checkpoint): {}",
              describe(why));
  std::error_code ec;
  std::filesystem::remove(ps_update_log_path(st.opt.checkpoint_file), ec);
  st.log.reset();
}

// Starts an empty update log after the checkpoint of the current version. Only periodic
// checkpoints bound a log's length: without them (checkpoint_every 0) the shard keeps none.
void restart_log(shard_actor* self) {
  auto& st = self->state;
  if (st.opt.checkpoint_every == 0)
    return;
  if (!st.log) {
    auto log = runtime::record_log::open(ps_update_log_path(st.opt.checkpoint_file),
                                         ps_update_log_magic(), ps_update_log_version);
    if (!log) {
      drop_log(self, log.error());
      return;
    }
    st.log = std::move(*log);
  }
  auto err = st.log->clear();
  if (!err)
    err = st.log->append(encode_log_base(st.opt.index, st.version));
  if (err)
    drop_log(self, err);
}

// Writes a checkpoint and starts the update log after it.
caf::error checkpoint(shard_actor* self) {
  if (auto err = write_checkpoint(self))
    return err;
  restart_log(self);
  return {};
}

void append_to_log(shard_actor* self, const std::vector<uint8_t>& record) {
  auto& st = self->state;
  if (!st.log)
    return;
  if (auto err = st.log->append(record))
    drop_log(self, err);
}

// Called once an update is applied and the gate has recorded it, so that a checkpoint holds
// the clocks that go with its values.
void maybe_checkpoint(shard_actor* self) {
  auto& st = self->state;
  if (st.replaying || st.opt.checkpoint_every == 0 || st.opt.checkpoint_file.empty() ||
      st.since_checkpoint < st.opt.checkpoint_every)
    return;
  st.since_checkpoint = 0;
  if (auto err = checkpoint(self))
    self->quit(err);
}

void apply(shard_actor* self, const float* sum, float samples, double lr) {
  auto& st = self->state;
  if (samples <= 0)
    return;
  auto inv = 1.0f / samples;
  auto p = std::min(st.opt.params, st.values.size());
  std::vector<float> grads(p);
  for (size_t i = 0; i < p; ++i)
    grads[i] = sum[i] * inv;
  st.optimizer->step(st.values.data(), grads.data(), lr);
  for (size_t i = p; i < st.values.size(); ++i)
    st.values[i] = sum[i] * inv;
  ++st.version;
  ++st.since_checkpoint;
}

caf::expected<ps_params> slice(shard_actor* self, const std::string& trainer) {
  auto& st = self->state;
  auto bytes = encode_values(st.values.data(), st.values.size());
  if (!bytes)
    return bytes.error();
  auto clock = trainer.empty() ? st.gate->min_clock() : st.gate->clock(trainer);
  return ps_params{st.version, clock, std::move(*bytes), st.gate->min_clock()};
}

void answer(shard_actor* self) {
  auto& st = self->state;
  for (auto& t : st.gate->release()) {
    auto i = st.waiting.find(t);
    if (i == st.waiting.end())
      continue;
    auto p = slice(self, t);
    for (auto& rp : i->second) {
      if (p)
        rp.deliver(*p);
      else
        rp.deliver(p.error());
    }
    st.waiting.erase(i);
  }
}

void maybe_close_round(shard_actor* self) {
  auto& st = self->state;
  if (!st.gate->round_complete())
    return;
  auto samples = st.round_sum.back();
  apply(self, st.round_sum.data(), samples, st.round_lr);
  std::fill(st.round_sum.begin(), st.round_sum.end(), 0.0f);
  st.gate->close_round();
  maybe_checkpoint(self);
  answer(self);
}

// What a push changes: the gate's clocks, the batches a fence asks about, the open round or
// the values. Shared by live pushes and the log's replay, so both end in the same state.
void accept_push(shard_actor* self, const ps_push& push, std::vector<float>& vals) {
  auto& st = self->state;
  auto action = st.gate->push(push.trainer, push.clock);
  if (action != push_action::drop && push.samples > 0) {
    auto& batches = st.applied[push.trainer];
    batches.push_back(batch_ref{push.batch_epoch, push.batch, push.samples});
    if (batches.size() > remembered_batches)
      batches.pop_front();
  }
  switch (action) {
    case push_action::apply:
      vals.push_back(static_cast<float>(push.samples));
      apply(self, vals.data(), static_cast<float>(push.samples), push.lr);
      maybe_checkpoint(self);
      break;
    case push_action::add_to_round:
      for (size_t i = 0; i < vals.size(); ++i)
        st.round_sum[i] += vals[i];
      st.round_sum.back() += static_cast<float>(push.samples);
      if (push.samples > 0)
        st.round_lr = push.lr;
      maybe_close_round(self);
      break;
    case push_action::drop:
      // A re-push: applied or counted already; answered like the first push.
      break;
  }
}

void accept_members(shard_actor* self, const std::vector<std::string>& trainers) {
  self->state.gate->set_members(trainers);
  maybe_close_round(self);
}

// Replays the update log onto the state the checkpoint gave (a log that follows another
// checkpoint is stale and skipped), then checkpoints, which starts a clean log.
void resume_from_log(shard_actor* self) {
  auto& st = self->state;
  auto path = ps_update_log_path(st.opt.checkpoint_file);
  auto found = runtime::read_records(path, ps_update_log_magic(), ps_update_log_version);
  size_t replayed = 0;
  std::string damage;
  if (!found)
    damage = describe(found.error());
  else
    damage = found->damage;
  if (found && !found->bodies.empty()) {
    auto base = decode_log_record(found->bodies.front());
    if (base && base->kind == ps_log_kind::base && base->index == st.opt.index &&
        base->version == st.version) {
      st.replaying = true;
      for (size_t i = 1; i < found->bodies.size(); ++i) {
        auto record = decode_log_record(found->bodies[i]);
        if (!record) {
          damage = describe(record.error());
          break;
        }
        if (record->kind == ps_log_kind::members) {
          accept_members(self, record->members);
        } else if (record->kind == ps_log_kind::push) {
          auto vals = decode_values(record->push.data, st.values.size());
          if (!vals) {
            damage = "a push record's values: " + describe(vals.error());
            break;
          }
          accept_push(self, record->push, *vals);
        } else {
          damage = "a second base record";
          break;
        }
        ++replayed;
      }
      st.replaying = false;
      // Nobody waits for the replayed pushes' answers: their trainers re-push.
      st.gate->release();
    }
  }
  if (!damage.empty())
    st.out.warn("update log {}: replayed {} records, the rest is unusable: {}", path, replayed,
                damage);
  if (replayed > 0)
    st.out.info("resumed at version {} after replaying {} logged records", st.version, replayed);
  if (replayed > 0 || !damage.empty()) {
    st.since_checkpoint = 0;
    if (auto err = checkpoint(self))
      st.out.warn("cannot checkpoint after the replay: {}", describe(err));
    return;
  }
  restart_log(self);
}

caf::behavior shard_fun(shard_actor* self, ps_shard_options opt) {
  auto& st = self->state;
  st.opt = std::move(opt);
  st.values = st.opt.initial;
  st.optimizer =
      std::make_unique<flat_optimizer>(st.opt.optimizer, std::min(st.opt.params, st.values.size()));
  st.gate = std::make_unique<consistency_gate>(st.opt.mode, st.opt.staleness);
  st.round_sum.assign(st.values.size() + 1, 0.0f);
  st.out =
      runtime::actor_log{spdlog::default_logger(), "train/shard-" + std::to_string(st.opt.index)};
  if (!st.opt.checkpoint_file.empty()) {
    auto bytes = runtime::read_file(st.opt.checkpoint_file);
    if (bytes) {
      auto ck = decode_checkpoint(*bytes);
      if (ck && ck->index == st.opt.index && ck->values.size() == st.values.size() &&
          ck->m.size() == st.optimizer->size()) {
        st.values = std::move(ck->values);
        st.optimizer->first() = std::move(ck->m);
        if (!st.optimizer->second().empty() && ck->v.size() == st.optimizer->size())
          st.optimizer->second() = std::move(ck->v);
        st.optimizer->steps() = ck->t;
        st.version = ck->version;
        st.gate->restore(std::move(ck->clocks), ck->rounds);
        st.gate->set_members(ck->members);
        for (auto& [trainer, batches] : ck->applied)
          st.applied[trainer].assign(batches.begin(), batches.end());
      }
    }
    resume_from_log(self);
  }
  return {
      [self](ps_push& push) -> caf::result<ps_params> {
        auto& st = self->state;
        if (st.fenced.count(caf::actor_cast<caf::actor_addr>(self->current_sender())) > 0)
          return caf::make_error(training_errc::job_failed,
                                 "trainer " + push.trainer + " was fenced after it was lost");
        auto vals = decode_values(push.data, st.values.size());
        if (!vals)
          return vals.error();
        append_to_log(self, encode_log_push(push));
        auto rp = self->make_response_promise();
        st.waiting[push.trainer].push_back(rp);
        accept_push(self, push, *vals);
        answer(self);
        return rp;
      },
      [self](ps_pull_atom, const std::string& trainer) -> caf::result<ps_params> {
        auto p = slice(self, trainer);
        if (!p)
          return p.error();
        return std::move(*p);
      },
      [self](ps_checkpoint_atom) -> caf::result<void> {
        if (auto err = checkpoint(self))
          return err;
        return caf::unit;
      },
      [self](ps_members& m) {
        append_to_log(self, encode_log_members(m.trainers));
        accept_members(self, m.trainers);
        answer(self);
      },
      [self](ingest_fence& f) {
        auto& st = self->state;
        if (f.handle)
          st.fenced.insert(f.handle.address());
        ingest_fenced out;
        auto i = st.applied.find(f.trainer);
        if (i == st.applied.end())
          return out;
        for (auto& b : f.outstanding)
          if (std::any_of(i->second.begin(), i->second.end(), [&](const batch_ref& applied) {
                return applied.epoch == b.epoch && applied.batch == b.batch;
              }))
            out.trained.push_back(b);
        return out;
      },
  };
}

} // namespace

caf::expected<std::vector<uint8_t>> encode_checkpoint(const ps_checkpoint& ckpt) {
  flat_state s{ckpt.values, ckpt.m, ckpt.v, ckpt.t};
  auto state = encode_state(s);
  if (!state)
    return state.error();
  auto bundle = decode(*state);
  if (!bundle)
    return bundle.error();
  bundle->tensors.push_back(int64_tensor(
      "meta", {ckpt.index, static_cast<int64_t>(ckpt.version), static_cast<int64_t>(ckpt.rounds)}));
  for (auto& [trainer, clock] : ckpt.clocks)
    bundle->tensors.push_back(int64_tensor("clock/" + trainer, {static_cast<int64_t>(clock)}));
  for (auto& trainer : ckpt.members)
    bundle->tensors.push_back(int64_tensor("member/" + trainer, {}));
  for (auto& [trainer, batches] : ckpt.applied) {
    std::vector<int64_t> xs;
    for (auto& b : batches)
      for (auto x : {b.epoch, b.batch, b.samples})
        xs.push_back(static_cast<int64_t>(x));
    bundle->tensors.push_back(int64_tensor("applied/" + trainer, xs));
  }
  auto bytes = encode(*bundle);
  if (!bytes)
    return bytes.error();
  return frame_checked(checkpoint_magic(), checkpoint_version, bytes->bytes);
}

caf::expected<ps_checkpoint> decode_checkpoint(const std::vector<uint8_t>& file) {
  auto body = unframe_checked(checkpoint_magic(), checkpoint_version, file);
  if (!body)
    return caf::make_error(training_errc::bad_checkpoint, describe(body.error()));
  encoded_bundle enc{std::move(*body)};
  auto state = decode_state(enc);
  if (!state)
    return caf::make_error(training_errc::bad_checkpoint, "bad state tensors");
  auto bundle = decode(enc);
  if (!bundle)
    return caf::make_error(training_errc::bad_checkpoint, "bad bundle");
  ps_checkpoint out;
  out.values = std::move(state->values);
  out.m = std::move(state->m);
  out.v = std::move(state->v);
  out.t = state->t;
  bool have_meta = false;
  for (auto& t : bundle->tensors) {
    if (t.type != dtype::int64 || t.shape.size() != 1 ||
        t.data.size() != static_cast<size_t>(t.shape[0]) * sizeof(int64_t))
      continue;
    std::vector<int64_t> xs(static_cast<size_t>(t.shape[0]));
    if (!xs.empty())
      std::memcpy(xs.data(), t.data.data(), t.data.size());
    if (t.name == "meta" && xs.size() == 3) {
      out.index = static_cast<uint32_t>(xs[0]);
      out.version = static_cast<uint64_t>(xs[1]);
      out.rounds = static_cast<uint64_t>(xs[2]);
      have_meta = true;
    } else if (t.name.rfind("clock/", 0) == 0 && xs.size() == 1) {
      out.clocks[t.name.substr(6)] = static_cast<uint64_t>(xs[0]);
    } else if (t.name.rfind("member/", 0) == 0) {
      out.members.push_back(t.name.substr(7));
    } else if (t.name.rfind("applied/", 0) == 0 && xs.size() % 3 == 0) {
      auto& batches = out.applied[t.name.substr(8)];
      for (size_t i = 0; i < xs.size(); i += 3)
        batches.push_back(batch_ref{static_cast<uint64_t>(xs[i]), static_cast<uint64_t>(xs[i + 1]),
                                    static_cast<uint64_t>(xs[i + 2])});
    }
  }
  if (!have_meta)
    return caf::make_error(training_errc::bad_checkpoint, "missing meta tensor");
  return out;
}

runtime::start_function ps_shard_start(ps_shard_options options) {
  return [options](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
    return ctx.system.spawn(shard_fun, options);
  };
}

} // namespace dmlp::training
