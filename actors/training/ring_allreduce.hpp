// The ring all-reduce of one flat float buffer as a plain state machine (no actors, no torch):
// it cuts the buffer into fusion buckets, produces the train_chunk messages a rank sends to the
// next rank, folds the chunks received from the previous rank into the buffer (add during
// reduce-scatter, copy during all-gather, per ring_schedule.hpp) and says when every bucket
// holds the full sum. Chunks carry the buffer's floats as an encoded "values" TensorBundle.
// Chunks of a step that has not started here are kept until it starts; chunks of older steps
// are dropped; a chunk out of order, of the wrong size or for an unknown bucket is an error.
// Two faces over one state machine: train_chunk messages (start/receive, for actor messages)
// and raw floats read in place (start_in_place/receive_values, for the direct TCP ring link of
// ring_link.hpp, which folds straight from its read buffer and writes the chunks to send
// straight into its write buffer). The trainer actor (trainer.cpp), ring_link and
// bench/training/bench_allreduce drive it and only move the bytes. Not thread-safe: one owner
// (an actor's state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "actors/training/ring_schedule.hpp"
#include "messages/training.hpp"

namespace dmlp::training {

/// Where a chunk belongs in the ring all-reduce.
struct ring_chunk_id {
  /// The step.
  uint64_t step = 0;
  /// The fusion bucket.
  uint32_t bucket = 0;
  /// 0 = reduce-scatter, 1 = all-gather.
  uint32_t phase = 0;
  /// Hop within the phase, 0 … ranks − 2.
  uint32_t hop = 0;
};

/// A chunk to send to the next rank, its floats read in place from the step's buffer: valid
/// until the next call on the ring_allreduce that returned it.
struct ring_chunk_view {
  /// Where it belongs.
  ring_chunk_id where;
  /// Its floats.
  const float* values = nullptr;
  /// How many.
  size_t count = 0;
};

/// One rank's side of a ring all-reduce, step after step.
class ring_allreduce {
public:
  /// `bucket_elems`: floats per fusion bucket (0: one bucket for the whole buffer).
  explicit ring_allreduce(size_t bucket_elems);

  /// Starts `step` as `rank` of `ranks` over `buffer` (`length` floats, the same on every rank;
  /// it must stay valid until done() or reset()). Returns the chunks to send to the next rank
  /// now: the first hop of every bucket, and the hops that chunks kept for this step unlocked.
  /// With one rank the step is done at once.
  caf::expected<std::vector<train_chunk>> start(uint64_t step, uint32_t rank, uint32_t ranks,
                                                float* buffer, size_t length);

  /// A chunk from the previous rank. Returns the chunks to forward to the next rank (none, or
  /// the next hop of its bucket), or training_errc::bad_bundle when it does not fit the step.
  caf::expected<std::vector<train_chunk>> receive(train_chunk chunk);

  /// start() without encoding: the chunks to send as views into `buffer`.
  caf::expected<std::vector<ring_chunk_view>>
  start_in_place(uint64_t step, uint32_t rank, uint32_t ranks, float* buffer, size_t length);

  /// receive() of a chunk's `count` floats read in place from `values` (only read during the
  /// call; a chunk of a later step is copied and kept). Returns the chunks to send as views.
  caf::expected<std::vector<ring_chunk_view>> receive_values(const ring_chunk_id& where,
                                                             const float* values, size_t count);

  /// Whether a started step holds the complete sum in every bucket.
  bool done() const;

  /// Whether a step was started and has not been reset.
  bool running() const { return running_; }

  /// The step started last.
  uint64_t step() const { return step_; }

  /// Abandons the running step (the buffer may hold partial sums). Chunks of later steps are
  /// kept; chunks of this one are dropped from now on.
  void reset();

  /// Chunks kept for steps that have not started here.
  size_t pending() const { return pending_.size(); }

  /// The buckets of the running step.
  const std::vector<span_range>& buckets() const { return buckets_; }

private:
  // A chunk of a step that has not started here, copied out of its message or read buffer.
  struct kept_chunk {
    ring_chunk_id where;
    std::vector<float> values;
  };

  caf::expected<std::vector<ring_chunk_view>> fold(const ring_chunk_id& where, const float* values,
                                                   size_t count);
  ring_chunk_view view_of(uint32_t bucket, uint32_t phase, uint32_t hop, uint32_t chunk) const;
  caf::expected<std::vector<train_chunk>> encode(std::vector<ring_chunk_view> views) const;

  size_t bucket_elems_;
  bool running_ = false;
  bool started_once_ = false;
  uint64_t step_ = 0;
  uint32_t rank_ = 0;
  uint32_t ranks_ = 1;
  float* buffer_ = nullptr;
  std::vector<span_range> buckets_;
  // Chunks received per bucket, 0 … 2 (ranks − 1): the next expected (phase, hop).
  std::vector<uint32_t> received_;
  size_t buckets_done_ = 0;
  std::vector<kept_chunk> pending_;
};

} // namespace dmlp::training
