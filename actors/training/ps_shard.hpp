// A parameter-server shard actor: owns one contiguous slice of a job's flat parameter vector
// (parameters, then floating-point buffers such as batch-norm statistics) and the optimizer
// state of that slice. Trainers push sample-weighted gradients (ps_push) and get the slice back
// (ps_params); the consistency_gate decides when an update applies and when a pusher is
// answered (sync, async, ssp). A re-push — the same clock again, after a lost reply, a timeout
// or a restart — is never added twice: one already applied or already in the open sync round is
// answered like the first push (sync: when its round closed; ssp: within the staleness bound),
// and every request gets its answer.
// Fencing: a job master that lost a trainer forwards the coordinator's ingest_fence; from then
// on the shard refuses the pushes of that incarnation still on their way, and it answers which
// of the asked batches it applied (or holds in its open sync round, which applies them), so
// that the coordinator acknowledges exactly those and hands out the rest again
// (docs/training.md, "Batches and exactly-once").
// Every `checkpoint_every` updates the shard writes its state — values, moments, clocks,
// members, the batches a fence may ask about — as a TensorBundle (Cap'n Proto) framed by
// checked_file, via write_file_atomic (temp, fsync, rename); docs/formats/ps-checkpoint.md. Between
// checkpoints it appends every push it accepts and every member list to an update log
// (ps_update_log.hpp) before it answers. Started by a supervisor through ps_shard_start(), a
// restarted shard loads its newest checkpoint (a corrupt one is reported and ignored: the shard
// starts from the initial values rather than half-read state) and replays the log that follows it,
// up to a torn or corrupt record, so it resumes with every update it had answered; then it
// checkpoints. Thread safety: an actor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/training/consistency_gate.hpp"
#include "actors/training/flat_optimizer.hpp"
#include "messages/ingest.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::training {

/// Options of one shard (configs: `training.ps`).
struct ps_shard_options {
  /// The shard's index. Default: 0.
  uint32_t index = 0;
  /// Initial values of the slice.
  std::vector<float> initial;
  /// How many values of the slice (from its start) are parameters; the rest are buffers.
  size_t params = 0;
  /// Consistency mode. Default: sync.
  consistency mode = consistency::sync;
  /// ssp staleness bound. Default: 2.
  uint32_t staleness = 2;
  /// Optimizer of the slice.
  optimizer_options optimizer;
  /// Checkpoint every K applied updates; 0 = never. Default: 50.
  uint64_t checkpoint_every = 50;
  /// Checkpoint file; empty = no checkpoints. Default: empty.
  std::string checkpoint_file;
};

/// What a checkpoint holds.
struct ps_checkpoint {
  /// Shard index.
  uint32_t index = 0;
  /// Applied updates.
  uint64_t version = 0;
  /// Closed sync rounds.
  uint64_t rounds = 0;
  /// The slice.
  std::vector<float> values;
  /// Optimizer first moment / velocity.
  std::vector<float> m;
  /// Optimizer second moment (empty for SGD).
  std::vector<float> v;
  /// Optimizer steps.
  int64_t t = 0;
  /// Trainer clocks.
  std::map<std::string, uint64_t> clocks;
  /// The live members when it was written.
  std::vector<std::string> members;
  /// Each trainer's newest batches whose pushes the values hold (what a fence asks about).
  std::map<std::string, std::vector<batch_ref>> applied;
};

/// Bytes of a checkpoint file (checked_file frame around a TensorBundle).
caf::expected<std::vector<uint8_t>> encode_checkpoint(const ps_checkpoint& ckpt);

/// Parses and validates a checkpoint file's bytes.
caf::expected<ps_checkpoint> decode_checkpoint(const std::vector<uint8_t>& bytes);

/// A supervisor start function for a shard.
runtime::start_function ps_shard_start(ps_shard_options options);

} // namespace dmlp::training
