// The epoch ledger of the ingest coordinator: which batch of the current epoch belongs to which
// trainer, which are out for training, and which are done — the bookkeeping behind "each sample
// index is trained exactly once per epoch" while trainers die and join.
//
// An epoch is the sequence epoch_permutation(samples, seed, epoch) (or the identity without
// shuffling), cut into batches of batch_size positions (the last may be shorter); a batch id
// names one such run for the whole epoch. Each batch is in exactly one state: queued at a
// trainer (its share, assigned by the index_shard_policy), issued to a trainer (sent, not yet
// acknowledged), unassigned (no trainer is registered), or done (acknowledged). Rules:
//   - join: the new trainer gets a share of what remains — every queued and unassigned batch is
//     re-split among all members by the shard policy;
//   - leave (or death): the trainer's queued AND issued-but-unacknowledged batches return and
//     are re-split among the survivors (unassigned if none is left);
//   - issue: a trainer takes from its own queue, and when that is empty steals from the back of
//     the longest queue, so stragglers do not hold an epoch back; issuing needs a credit and a
//     free slot in the trainer's credit_window;
//   - ack: accepted once, only from the trainer the batch is issued to, only in its epoch; when
//     every batch is done the next epoch starts (re-split among the members) until max_epochs.
// Since an acknowledgement is accepted at most once per batch per epoch and a batch leaves a
// trainer only when that trainer is gone, every sample index is acknowledged exactly once per
// epoch. encode()/decode() persist the whole state (docs/formats/ingest-ledger.md); decode
// re-checks that every batch is in exactly one state.
// A plain value, no actor inside; not thread-safe (owned by one coordinator instance).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/ingest/credit_window.hpp"
#include "actors/ingest/shard_policy.hpp"

namespace dmlp::ingest {

/// What a ledger is built for (configs: `ingest.ledger`).
struct ledger_options {
  /// Samples per epoch (the training split's size); must be positive. Default: 0.
  uint64_t samples = 0;
  /// Samples per batch; must be positive. Default: 64.
  uint32_t batch_size = 64;
  /// Seed of the per-epoch shuffle. Default: 1.
  uint64_t seed = 1;
  /// Shuffle each epoch. Default: true.
  bool shuffle = true;
  /// How batches are split among trainers. Default: contiguous.
  shard_mode mode = shard_mode::contiguous;
  /// Epochs to serve; 0 serves forever. Default: 0.
  uint32_t max_epochs = 0;
};

/// One batch handed to a trainer.
struct batch_ticket {
  /// The epoch the batch belongs to.
  uint64_t epoch = 0;
  /// The batch's id within its epoch.
  uint64_t batch = 0;
  /// The sample indices it carries, in order.
  std::vector<uint64_t> indices;
};

/// What an accepted acknowledgement changed.
struct ack_result {
  /// Samples the acknowledged batch carried.
  uint64_t samples = 0;
  /// Whether it completed its epoch.
  bool epoch_completed = false;
  /// Whether the ledger has now served max_epochs.
  bool finished = false;
  /// Whether the batch had been acknowledged before (nothing changed; samples is 0).
  bool duplicate = false;
};

/// The exactly-once bookkeeping of one job's epochs.
class epoch_ledger {
public:
  /// A ledger at epoch 0 with no trainers; ingest_errc::invalid_option for bad options.
  static caf::expected<epoch_ledger> create(const ledger_options& options);

  /// Restores a ledger from encode()'s bytes; ingest_errc::ledger_corrupt when the bytes are
  /// damaged or inconsistent.
  static caf::expected<epoch_ledger> decode(const std::vector<uint8_t>& bytes);

  /// The complete state as a checked file ("DMLPLEDG").
  std::vector<uint8_t> encode() const;

  // -- membership -------------------------------------------------------------------------------

  /// Adds `trainer` with a credit window of `window` batches and gives it a share of what
  /// remains of the epoch. ingest_errc::invalid_option when it is already a member.
  caf::error join(const std::string& trainer, uint32_t window);

  /// Removes `trainer`; its queued and issued batches go back to the others. Returns the
  /// issued-but-unacknowledged batches that were taken back (empty for an unknown trainer).
  std::vector<uint64_t> leave(const std::string& trainer);

  /// Whether `trainer` is a member.
  bool has(const std::string& trainer) const;

  /// The members in join order.
  std::vector<std::string> members() const;

  // -- flow -------------------------------------------------------------------------------------

  /// Adds credits to `trainer`'s window; ingest_errc::unknown_trainer for a non-member.
  caf::error grant(const std::string& trainer, uint32_t credits);

  /// Issues `trainer`'s next batch when it has a credit, a free window slot, and work remains
  /// (its own or stolen); nothing otherwise.
  std::optional<batch_ticket> issue(const std::string& trainer);

  /// Records that `trainer` finished `batch` of `epoch`. A batch acknowledged before (by the
  /// job master on the trainer's behalf, or a repeated acknowledgement; a batch of an earlier
  /// epoch) is a `duplicate` that changes nothing. ingest_errc::unknown_trainer or
  /// ingest_errc::not_outstanding when the acknowledgement is not acceptable (future epochs,
  /// batches taken back or issued to someone else); the ledger is then unchanged.
  caf::expected<ack_result> ack(const std::string& trainer, uint64_t epoch, uint64_t batch);

  /// The batches issued to `trainer` and not yet acknowledged, as tickets (for re-sending).
  std::vector<batch_ticket> outstanding(const std::string& trainer) const;

  // -- observers --------------------------------------------------------------------------------

  /// The options.
  const ledger_options& options() const { return options_; }
  /// The current epoch (0-based).
  uint64_t epoch() const { return epoch_; }
  /// Whether max_epochs epochs were completed.
  bool finished() const { return finished_; }
  /// Batches per epoch.
  uint64_t batches_per_epoch() const;
  /// Batches acknowledged in the current epoch.
  uint64_t batches_done() const { return acked_; }
  /// Batches acknowledged over the ledger's life.
  uint64_t total_acked() const { return total_acked_; }
  /// Batches outstanding at `trainer` (0 for a non-member).
  size_t outstanding_count(const std::string& trainer) const;
  /// Batches outstanding at all trainers.
  size_t outstanding_total() const;
  /// Unspent credits of `trainer` (0 for a non-member).
  uint32_t credits(const std::string& trainer) const;
  /// The sample indices of `batch` in the current epoch.
  std::vector<uint64_t> indices_of(uint64_t batch) const;
  /// Verifies that every batch is in exactly one state; ledger_corrupt otherwise.
  caf::error check() const;

private:
  struct member {
    std::string id;
    std::deque<uint64_t> queued;
    std::set<uint64_t> issued;
    credit_window flow;
  };

  epoch_ledger() = default;
  member* find(const std::string& trainer);
  const member* find(const std::string& trainer) const;
  void redistribute();
  void start_epoch();

  ledger_options options_;
  uint64_t epoch_ = 0;
  bool finished_ = false;
  std::vector<bool> done_;
  uint64_t acked_ = 0;
  uint64_t total_acked_ = 0;
  std::vector<member> members_;
  std::deque<uint64_t> unassigned_;
  std::vector<uint64_t> order_;
};

} // namespace dmlp::ingest
