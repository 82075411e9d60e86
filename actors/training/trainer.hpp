// The trainer actor: one model replica of a training job (docs/training.md). It registers with
// the job's ingest coordinator (messages/ingest.hpp), grants credits, and trains on the batches
// it receives; it acknowledges a batch to the epoch ledger only after the step that used it is
// committed. Gradients are exchanged through the job's strategy:
//   allreduce  the job master starts synchronous steps; the trainer computes its sample-weighted
//              gradient (or contributes zeros when no batch came within `idle_timeout`), runs the
//              ring all-reduce (ring_schedule.hpp) with its neighbour, reports the finished sum
//              and applies it (flat_optimizer) when the master commits. The ring runs over
//              train_chunk messages, or with `direct_link` on its ring link (ring_link.hpp):
//              the trainer asks the next trainer once per neighbour where its link listens
//              and hands its link the gradient once per step.
//   ps         pushes each shard its slice in parallel, applies the returned parameters.
// Per step it records compute, communication and waiting time. Coordinator and shards are
// found by supervision path in the name registry, so their restarts are followed: a trainer
// re-attaches (ingest_credit with 0 credits) or re-pushes. The master gives a joining trainer
// the current state before its first step. Thread safety: an actor; talk to it with messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/training/consistency_gate.hpp"
#include "actors/training/flat_optimizer.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::training {

/// How gradients are exchanged.
enum class strategy { allreduce, ps };

/// Options of one trainer (configs: `training.trainer`).
struct trainer_options {
  /// Registry name of the architecture. Default: "cnn".
  std::string architecture = "cnn";
  /// Seed of the initial parameters (every replica starts from the same). Default: 1.
  uint64_t seed = 1;
  /// libtorch intra-op threads. Default: 1.
  uint32_t threads = 1;
  /// Exchange strategy. Default: allreduce.
  strategy kind = strategy::allreduce;
  /// PS consistency (empty pushes keep sync rounds going). Default: sync.
  consistency mode = consistency::sync;
  /// Batches the trainer lets be outstanding at the coordinator. Default: 2.
  uint32_t window = 2;
  /// Fusion bucket size in floats for the ring. Default: 65536 (256 KiB).
  size_t bucket_elems = 65536;
  /// Whether the ring runs over a direct TCP ring link (ring_link.hpp) instead of train_chunk
  /// actor messages. Every trainer of a ring must agree: dmlp-node turns it on unless the
  /// cluster uses TLS, which all nodes share (the link is plaintext); the embedded cluster,
  /// whose ranks are all in one process, keeps the actor messages. Default: false.
  bool direct_link = false;
  /// Address the ring link listens on (the node's node.host). Default: "127.0.0.1".
  std::string link_host = "127.0.0.1";
  /// Address the previous trainer's link is told to connect to. Default: empty, which means
  /// link_host, or the host name when link_host is 0.0.0.0 (ring_link_options::advertise).
  std::string link_advertise;
  /// How long a step waits for a batch before contributing nothing. Default: 100 ms.
  std::chrono::milliseconds idle_timeout{100};
  /// Timeout of every request to the coordinator, shards and master. Default: 10 s.
  std::chrono::milliseconds request_timeout{10000};
  /// Delay between look-ups of a restarted peer. Default: 50 ms.
  std::chrono::milliseconds retry_interval{50};
  /// Extra delay before each PS push of `slow_trainer` (a deliberately slow worker in tests).
  /// Default: 0.
  std::chrono::milliseconds push_delay{0};
  /// Id of the trainer that waits `push_delay` before each push. Default: empty (none).
  std::string slow_trainer;
  /// Optimizer and learning-rate rules.
  optimizer_options optimizer;
  /// Registry path of the ingest coordinator.
  std::string coordinator_path;
  /// Registry path of the job master.
  std::string master_path;
  /// Registry paths of the PS shards, in shard order (ps only).
  std::vector<std::string> shard_paths;
  /// Values each shard holds, in shard order (ps only).
  std::vector<size_t> shard_sizes;
};

/// A start function for a simple_one_for_one pool of trainers; the pool's start_child message
/// carries the trainer id (a std::string).
runtime::start_function trainer_start(trainer_options options);

} // namespace dmlp::training
