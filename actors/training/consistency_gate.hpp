// The parameter-server consistency policy, a plain class (no actor, no clock): decides when a
// shard applies pushed gradients and when it may answer a pushing trainer.
//   sync   a round's update applies once every live member pushed in it; then all are answered.
//   async  every push applies at once and is answered at once.
//   ssp    every push applies at once; the answer to a trainer whose clock is more than
//          `staleness` ahead of the slowest live member is held back until that is no longer so
//          (bounded staleness: nobody runs more than s steps ahead of the slowest).
// A trainer's clock is the number of its pushes the shard applied. Members come from the job
// master; a member that leaves no longer holds anyone back. Owned by one ps_shard actor; not
// thread-safe.
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

/// When pushes apply and pushers get their answer.
class consistency_gate {
public:
  /// A gate for `mode`; `staleness` matters for ssp only.
  consistency_gate(consistency mode, uint32_t staleness);

  /// Replaces the live members. Unknown trainers that push are added on their first push.
  void set_members(const std::vector<std::string>& trainers);

  /// Records a push of `trainer`. Returns true when the update should be applied now as its
  /// own update (async, ssp); false in sync mode, where it joins the open round.
  bool push(const std::string& trainer);

  /// sync: whether every live member pushed in the open round (and at least one did).
  bool round_complete() const;

  /// sync: closes the round (after the shard applied its sum) and counts it.
  void close_round();

  /// Trainers waiting for an answer that may get it now; they stop waiting.
  std::vector<std::string> release();

  /// Pushes applied for `trainer` (0 for unknown ones).
  uint64_t clock(const std::string& trainer) const;

  /// The smallest clock among live members (0 without members).
  uint64_t min_clock() const;

  /// Closed sync rounds.
  uint64_t rounds() const { return rounds_; }

  /// Restores clocks (from a checkpoint).
  void restore(std::map<std::string, uint64_t> clocks, uint64_t rounds);

  /// All clocks, for checkpoints.
  const std::map<std::string, uint64_t>& clocks() const { return clocks_; }

private:
  consistency mode_;
  uint32_t staleness_;
  std::set<std::string> members_;
  std::map<std::string, uint64_t> clocks_;
  std::set<std::string> in_round_;
  std::set<std::string> waiting_;
  uint64_t rounds_ = 0;
};

} // namespace dmlp::training
