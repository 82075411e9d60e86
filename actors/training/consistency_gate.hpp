// The parameter-server consistency policy, a plain class (no actor, no clock): decides what a
// shard does with a push and when it may answer the pushing trainer.
//   sync   a round's update applies once every live member pushed in it; then all are answered.
//   async  every push applies at once and is answered at once.
//   ssp    every push applies at once; the answer to a trainer whose clock is more than
//          `staleness` ahead of the slowest live member is held back until that is no longer so
//          (bounded staleness: nobody runs more than s steps ahead of the slowest).
// Trainers number their pushes 0, 1, 2, … (the push's clock); a trainer's clock here is one
// past its newest push the shard applied, so a push below it was applied already. Such a
// re-push (a reply lost to a timeout or a restart), and a second push of a trainer already in
// the open sync round, is never added again; its pusher is answered exactly as the first push's
// would be (sync: once its round closed; ssp: only within the staleness bound).
// A member the gate has not seen push yet holds the slowest member's clock and adopts its own
// numbering on its first push (a joiner, or a shard restarted from an older checkpoint).
// Members come from the job master; a member that leaves no longer holds anyone back. Owned by
// one ps_shard actor; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dmlp::training {

/// Consistency mode of a parameter-server job.
enum class consistency { sync, async, ssp };

/// Parses "sync", "async" or "ssp"; false for anything else.
bool parse_consistency(const std::string& text, consistency& out);

/// Name of a mode.
const char* to_string(consistency mode);

/// What a shard does with one push's values.
enum class push_action {
  /// Apply them now as their own update (async, ssp).
  apply,
  /// Add them to the open round's sum (sync).
  add_to_round,
  /// Nothing: the push was applied already, or is counted in the open round.
  drop,
};

/// When pushes apply and pushers get their answer.
class consistency_gate {
public:
  /// A gate for `mode`; `staleness` matters for ssp only.
  consistency_gate(consistency mode, uint32_t staleness);

  /// Replaces the live members. Unknown trainers that push are added on their first push.
  void set_members(const std::vector<std::string>& trainers);

  /// Records push number `clock` of `trainer`, which then waits for its answer (release()).
  push_action push(const std::string& trainer, uint64_t clock);

  /// sync: whether every live member pushed in the open round (and at least one did).
  bool round_complete() const;

  /// sync: closes the round (after the shard applied its sum) and counts it.
  void close_round();

  /// Trainers waiting for an answer that may get it now; they stop waiting.
  std::vector<std::string> release();

  /// The clock of `trainer`'s next push; for a trainer that never pushed here, the slowest
  /// member's clock (where a joiner starts).
  uint64_t clock(const std::string& trainer) const;

  /// The smallest clock among live members (0 without members).
  uint64_t min_clock() const;

  /// Closed sync rounds.
  uint64_t rounds() const { return rounds_; }

  /// Restores clocks (from a checkpoint); they count as the trainers' own.
  void restore(std::map<std::string, uint64_t> clocks, uint64_t rounds);

  /// The clocks that trainers' pushes set, for checkpoints.
  std::map<std::string, uint64_t> clocks() const;

  /// The live members, for checkpoints.
  std::vector<std::string> members() const { return {members_.begin(), members_.end()}; }

private:
  consistency mode_;
  uint32_t staleness_;
  std::set<std::string> members_;
  std::map<std::string, uint64_t> clocks_;
  /// Members whose clock the gate assigned: they have not pushed here yet.
  std::set<std::string> assigned_;
  /// sync: the open round's pushers and their push's clock.
  std::map<std::string, uint64_t> in_round_;
  std::set<std::string> waiting_;
  uint64_t rounds_ = 0;
};

} // namespace dmlp::training
