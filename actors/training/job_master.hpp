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
// Progress goes to `listener` as train_progress after each committed step. The job finishes
// with the ingest job's last epoch; (train_result_atom) then answers the final parameters and
// buffers as a train_state. Thread safety: an actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/training/flat_optimizer.hpp"
#include "actors/training/trainer.hpp"
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
};

/// A supervisor start function for the master.
runtime::start_function job_master_start(job_master_options options);

} // namespace dmlp::training
