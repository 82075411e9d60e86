// The job master actor: membership and step control of one training job (docs/training.md).
// Trainers announce themselves (train_hello) and are monitored. The job starts once
// `min_workers` trainers are placed and admits more up to `max_workers`; a trainer that dies
// or is removed leaves the job, the survivors continue without a restart.
//   allreduce  the master runs synchronous steps: it sends train_step to every member (rank,
//              ring size, next rank, learning rate), collects train_reduced and commits the step
//              (train_commit_atom). A member lost mid-step aborts the step (train_abort_atom;
//              nobody applied it, every batch stays unacknowledged) and the next step uses the
//              re-formed ring. Joiners are admitted between steps and get the current replica
//              state (from a member, or the last saved state when none is left) first.
//   ps         the master tells every shard the live members (ps_members) and every trainer
//              the worker count (for the learning-rate rule); trainers report each finished
//              push as a train_reduced for the progress accounting.
// Fencing (ingest_fence, from the job's ingest coordinator when a trainer is lost with batches
// outstanding): the master answers which of them are in the model — allreduce: those of
// committed steps (a step in flight with the lost trainer is aborted first); ps: those any
// shard applied, after every shard started refusing the lost incarnation's pushes — so that
// the coordinator acknowledges exactly those and no batch is trained twice or lost.
// Progress goes to `listener` as train_progress after each committed step. The job finishes
// with the ingest job's last epoch; (train_result_atom) then answers the final parameters and
// buffers as a train_state.
// Stop (train_stop_atom): the master pauses the coordinator (no new batches) and lets the job
// drain — steps go on until every issued batch is committed and its acknowledgement saved in
// the ledger, so nothing is half-applied and nothing is acknowledged but untrained. Then it
// saves the state (allreduce: a member's replica state into its snapshot; ps: every shard
// writes its checkpoint), publishes its counters and answers train_result with
// training_errc::stopped.
// Durability: with a snapshot store (the child spec's), the master saves a job_master_snapshot
// (counters, started-step number, epochs seen, the trained batches a fence may still ask
// about) under its path after every committed step and epoch end, and the newest replica state
// it fetched (every `save_every` steps and at a stop; allreduce) under replica_key(path); a
// restarted master continues from both. A snapshot of another job (fingerprint) is refused.
// Thread safety: an actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/training/flat_optimizer.hpp"
#include "actors/training/trainer.hpp"
#include "messages/training.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::training {

/// Options of a job master (configs: `training.job`).
struct job_master_options {
  /// Exchange strategy. Default: allreduce.
  strategy kind = strategy::allreduce;
  /// Workers needed to start. Default: 1.
  uint32_t min_workers = 1;
  /// Most workers admitted. Default: 64.
  uint32_t max_workers = 64;
  /// Per-trainer batch size (the global batch is this × workers). Default: 64.
  uint32_t batch_size = 64;
  /// Learning-rate rules, for train_step's rate.
  optimizer_options optimizer;
  /// Save the replica state every K committed steps (allreduce). Default: 20.
  uint64_t save_every = 20;
  /// Timeout of requests to trainers and shards. Default: 10 s.
  std::chrono::milliseconds request_timeout{10000};
  /// Registry paths of the PS shards (ps).
  std::vector<std::string> shard_paths;
  /// Values each shard holds (ps), in shard order.
  std::vector<size_t> shard_sizes;
  /// Receives train_progress; may be invalid.
  caf::actor listener;
  /// Registry path of the ingest coordinator (paused and polled when the job stops).
  std::string coordinator_path;
  /// Interval between polls of the coordinator while a stopping job drains. Default: 10 ms.
  std::chrono::milliseconds drain_poll{10};
  /// allreduce: steps in a row that fail on a ring link (a trainer's link cannot reach the next
  /// one: ring_failed_atom) before the master turns every trainer's link off and the rings run
  /// over actor messages for the rest of the job. Default: 3.
  uint32_t max_link_failures = 3;
  /// Wait after a step failed on a ring link before the next one, so that the loss of a
  /// member, which also breaks links, is seen first. Default: 200 ms.
  std::chrono::milliseconds link_retry_delay{200};
  /// Identity of the job (model, sizes, strategy); a snapshot with another is refused.
  /// Default: empty.
  std::string fingerprint;
};

/// What a job master saves to its snapshot store (payload: CAF binary serialization of this
/// struct; docs/formats/training-state.md).
struct job_master_snapshot {
  /// Layout version of this struct, read before the rest. Default: 2.
  uint16_t format_version = 2;
  /// job_master_options::fingerprint of the job that saved it.
  std::string fingerprint;
  /// Counters: steps, samples, epochs, times.
  train_progress progress;
  /// Started steps (allreduce step numbers).
  uint64_t step = 0;
  /// Ingest epochs whose end the master saw.
  std::vector<uint64_t> epochs_seen;
  /// Whether a replica state was saved under replica_key (allreduce).
  bool has_replica = false;
  /// Committed steps in that replica state.
  uint64_t replica_step = 0;
  /// Last clock of each PS trainer (staleness statistics).
  std::map<std::string, uint64_t> clocks;
  /// Saved by a stop (the job drained; replica is the state at the last step).
  bool stopped = false;
  /// The batches in the model of the epochs not yet acknowledged in full, as (epoch, batch)
  /// pairs one after the other: what a restarted master answers a fence from.
  std::vector<uint64_t> trained;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_master_snapshot& x) {
  return f(caf::meta::type_name("job_master_snapshot"), x.format_version, x.fingerprint, x.progress,
           x.step, x.epochs_seen, x.has_replica, x.replica_step, x.clocks, x.stopped, x.trained);
}

/// The snapshot-store key of the replica state saved by the master at `master_key` (payload:
/// the state's TensorBundle bytes, messages/training.hpp train_state).
std::string replica_key(const std::string& master_key);

/// Bytes of a snapshot.
caf::expected<std::vector<uint8_t>> encode_master_snapshot(const job_master_snapshot& snapshot);

/// Parses a snapshot's bytes (training_errc::bad_checkpoint when they do not decode).
caf::expected<job_master_snapshot> decode_master_snapshot(const std::vector<uint8_t>& bytes);

/// A supervisor start function for the master.
runtime::start_function job_master_start(job_master_options options);

} // namespace dmlp::training
