// The training protocol (actors/training): what trainers, the job master and parameter-server
// shards send each other. Bulk values (gradients, parameter slices, replica state, ring
// chunks) travel as encoded TensorBundle bytes; everything else is a small value with a CAF
// 0.17 inspect overload, listed in messages/type_ids.hpp. docs/training.md walks through it.
//
// Job master ↔ trainer (both strategies):
//   trainer → master  (train_hello_atom, train_hello)            join / re-join after a restart
//   trainer → master  (train_epoch_atom, ingest_epoch_end)       an epoch of the ingest job ended
//   master  → trainer (train_state_atom, train_state)            adopt this replica state
//   master  → trainer (train_get_state_atom)  -> train_state     the replica's current state
// Ring all-reduce (strategy allreduce), one step:
//   master  → trainer (train_step)                               take part in step `step`
//   trainer → next    (train_chunk)                              one hop of one bucket's chunk
//   trainer → master  (train_reduced)                            my copy of the sum is complete
//   master  → trainer (train_commit_atom, step) / (train_abort_atom, step)
// Parameter servers (strategy ps), per shard, in parallel:
//   trainer → shard   (ps_push)   -> ps_params                   gradients in, parameters out
//   trainer → shard   (ps_pull_atom, trainer id) -> ps_params    parameters only (and the
//                                                                clock the shard has for it)
//   master  → shard   (ps_members) -> void                       the live trainers
//   master  → shard   (ingest_fence) -> ingest_fenced            refuse a lost trainer's
//                                                                pushes from now on; which of
//                                                                its batches are applied
// Fencing (both strategies): when a trainer is lost with batches outstanding, its ingest
// coordinator asks the master (ingest_fence, messages/ingest.hpp) which of them the job
// trained; those are acknowledged on the trainer's behalf, the rest go to the others.
// A reply may be held back by the shard's consistency mode (sync: until every live member
// pushed; ssp: while the pusher is more than `staleness` clocks ahead of the slowest).
// Every request carries a finite timeout on the sender's side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/ingest.hpp"
#include "messages/tensor_bundle.hpp"

namespace dmlp {

/// A trainer joins its job (trainer → master).
struct train_hello {
  /// The trainer's id, stable across its restarts.
  std::string trainer;
  /// The trainer actor.
  caf::actor handle;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, train_hello& x) {
  return f(caf::meta::type_name("train_hello"), x.trainer, x.handle);
}

/// A replica's full state: flat parameters, buffers and optimizer state as a TensorBundle.
struct train_state {
  /// Steps committed into this state.
  uint64_t step = 0;
  /// TensorBundle "params", "buffers", "opt_m", "opt_v" (float32) and "opt_t" (int64).
  encoded_bundle data;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, train_state& x) {
  return f(caf::meta::type_name("train_state"), x.step, x.data);
}

/// Take part in one synchronous all-reduce step (master → trainer).
struct train_step {
  /// The step number (increases by one per started step, aborted ones included).
  uint64_t step = 0;
  /// The ring's position of the receiver.
  uint32_t rank = 0;
  /// Members of the ring.
  uint32_t size = 1;
  /// The next rank's trainer (the receiver of this rank's chunks).
  caf::actor next;
  /// Learning rate to apply when the step commits.
  double lr = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, train_step& x) {
  return f(caf::meta::type_name("train_step"), x.step, x.rank, x.size, x.next, x.lr);
}

/// One hop of the ring all-reduce (trainer → next trainer).
struct train_chunk {
  /// The step.
  uint64_t step = 0;
  /// The bucket (fusion group) the chunk belongs to.
  uint32_t bucket = 0;
  /// 0 = reduce-scatter, 1 = all-gather.
  uint32_t phase = 0;
  /// Hop within the phase, 0 … size-2.
  uint32_t hop = 0;
  /// TensorBundle with one float32 tensor "chunk".
  encoded_bundle data;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, train_chunk& x) {
  return f(caf::meta::type_name("train_chunk"), x.step, x.bucket, x.phase, x.hop, x.data);
}

/// A trainer holds the complete sum of a step (trainer → master).
struct train_reduced {
  /// The trainer's id.
  std::string trainer;
  /// The step.
  uint64_t step = 0;
  /// Samples summed over all ranks (0: nobody had a batch).
  uint64_t samples = 0;
  /// Mean loss over those samples.
  double loss = 0;
  /// Nanoseconds computing the gradient.
  uint64_t compute_ns = 0;
  /// Nanoseconds in the ring.
  uint64_t comm_ns = 0;
  /// Nanoseconds waiting for a batch.
  uint64_t wait_ns = 0;
  /// PS: the smallest `slowest` of the shards' answers to this push.
  uint64_t slowest = 0;
  /// allreduce: whether the trainer's gradient came from a batch (else it added zeros).
  bool has_batch = false;
  /// allreduce: that batch's epoch and id, which the master acknowledges with the commit.
  uint64_t batch_epoch = 0;
  uint64_t batch = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, train_reduced& x) {
  return f(caf::meta::type_name("train_reduced"), x.trainer, x.step, x.samples, x.loss,
           x.compute_ns, x.comm_ns, x.wait_ns, x.slowest, x.has_batch, x.batch_epoch, x.batch);
}

/// Gradients of one parameter-server shard's slice (trainer → shard; replies ps_params).
struct ps_push {
  /// The trainer's id.
  std::string trainer;
  /// The trainer's clock: pushes it made before this one.
  uint64_t clock = 0;
  /// Samples behind the gradient (0: an empty contribution in sync mode).
  uint64_t samples = 0;
  /// Learning rate for this update.
  double lr = 0;
  /// TensorBundle "values": the slice, gradients × samples then buffers × samples.
  encoded_bundle data;
  /// The batch behind the gradient (samples > 0), which a fence asks about.
  uint64_t batch_epoch = 0;
  uint64_t batch = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ps_push& x) {
  return f(caf::meta::type_name("ps_push"), x.trainer, x.clock, x.samples, x.lr, x.data,
           x.batch_epoch, x.batch);
}

/// A shard's parameter slice (reply to ps_push and ps_pull_atom).
struct ps_params {
  /// Updates the shard applied so far.
  uint64_t version = 0;
  /// The shard's sync round (sync mode) or the clock the pusher should continue with.
  uint64_t clock = 0;
  /// TensorBundle "values": the shard's slice of parameters then buffers.
  encoded_bundle data;
  /// The slowest live member's clock when the shard answered: the answer's staleness is the
  /// pusher's clock minus this (ssp keeps it at most s).
  uint64_t slowest = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ps_params& x) {
  return f(caf::meta::type_name("ps_params"), x.version, x.clock, x.data, x.slowest);
}

/// The live trainers of a job (master → shard).
struct ps_members {
  /// Trainer ids.
  std::vector<std::string> trainers;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ps_members& x) {
  return f(caf::meta::type_name("ps_members"), x.trainers);
}

/// Progress of a job (master → listener, after every committed step).
struct train_progress {
  /// Committed steps.
  uint64_t steps = 0;
  /// The ingest epoch of the newest batch.
  uint64_t epoch = 0;
  /// Mean loss of the last step.
  double loss = 0;
  /// Samples trained so far.
  uint64_t samples = 0;
  /// Live workers.
  uint32_t workers = 0;
  /// Samples of the completed epochs, as the ingest ledger acknowledged them.
  uint64_t ledger_samples = 0;
  /// Completed epochs.
  uint64_t epochs_done = 0;
  /// Summed nanoseconds computing gradients, over all trainers.
  uint64_t compute_ns = 0;
  /// Summed nanoseconds exchanging gradients / parameters.
  uint64_t comm_ns = 0;
  /// Summed nanoseconds waiting for batches.
  uint64_t wait_ns = 0;
  /// PS: the largest staleness of a shard's answer — a trainer's clock minus the slowest live
  /// member's — over all pushes (ssp keeps it at most s).
  uint64_t max_staleness = 0;
  /// Whether the job finished.
  bool finished = false;
  /// allreduce: steps aborted because a member was lost mid-step (their work is redone).
  uint64_t aborted_steps = 0;
  /// ps: batches of lost trainers that some shards applied and others never received (a
  /// node killed while its push was on the wire); they count as trained, and their gradient
  /// is missing on the shards that did not get it.
  uint64_t partial_pushes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, train_progress& x) {
  return f(caf::meta::type_name("train_progress"), x.steps, x.epoch, x.loss, x.samples, x.workers,
           x.ledger_samples, x.epochs_done, x.compute_ns, x.comm_ns, x.wait_ns, x.max_staleness,
           x.finished, x.aborted_steps, x.partial_pushes);
}

} // namespace dmlp
