// The state directory of a stoppable training job (job_options::state_dir,
// docs/formats/training-state.md). A stopped job leaves three kinds of files there: the ingest
// ledger, the job master's snapshot and its replica state (file_snapshot_store files under the
// children's supervision paths) and, for strategy ps, one checkpoint per shard, which the shards
// write there themselves. The master's snapshot is written last and is the marker of a complete
// stopped state: without it the directory holds no job to resume (leftovers of a run that
// crashed after resuming are cleared). load() checks every file before anything starts and
// refuses a corrupt state or one of another job instead of overwriting it.
// Used by run_training on its calling thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/training/job_master.hpp"
#include "messages/snapshot_codec.hpp"
#include "runtime/snapshot_store.hpp"

namespace dmlp::training {

/// What a stopped job left in its state directory.
struct stopped_job {
  /// The job master's snapshot (counters, replica state for allreduce).
  job_master_snapshot master;
  /// The master's snapshot as saved (to hand to the master's store).
  std::vector<uint8_t> master_payload;
  /// The replica state the master saved (allreduce), as saved.
  std::optional<std::vector<uint8_t>> replica_payload;
  /// The ingest ledger as saved.
  std::vector<uint8_t> ledger_payload;
};

/// One job's state directory.
class job_state_dir {
public:
  /// `directory` is created when needed; `master_key` and `ledger_key` are the supervision
  /// paths of the master and the coordinator; `shard_sizes` the values each PS shard holds
  /// (empty for allreduce).
  job_state_dir(std::string directory, std::string master_key, std::string ledger_key,
                std::vector<size_t> shard_sizes);

  /// The stopped job in the directory, an empty optional when there is none, or
  /// training_errc::bad_checkpoint naming the file when a file is corrupt or belongs to a job
  /// whose fingerprint differs from `fingerprint`.
  caf::expected<std::optional<stopped_job>> load(const std::string& fingerprint);

  /// Saves a stopped job: the ledger and the replica state first, then the master's snapshot
  /// (the marker).
  caf::error save(const std::vector<uint8_t>& ledger_payload,
                  const std::optional<std::vector<uint8_t>>& replica_payload,
                  const std::vector<uint8_t>& master_payload);

  /// Removes the marker: the state is in use by a resumed run, and a crash of that run must
  /// not resume the old state against newer PS checkpoints.
  void consume();

  /// Removes every file of the job (a finished job, or a fresh start).
  void clear();

  /// The checkpoint file of PS shard `index`.
  std::string shard_checkpoint(uint32_t index) const;

  /// The directory.
  const std::string& directory() const { return directory_; }

private:
  std::string directory_;
  std::string master_key_;
  std::string ledger_key_;
  std::vector<size_t> shard_sizes_;
  runtime::file_snapshot_store store_;
};

} // namespace dmlp::training
