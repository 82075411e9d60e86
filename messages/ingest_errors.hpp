// Error codes of the ingest role: what can be wrong with a dataset on disk, the cache, the epoch
// ledger, or a trainer's message to the coordinator. Every fallible ingest call returns these
// through caf::error with a context line that names the file (or trainer) and what is wrong.
// register_ingest_errors() teaches dmlp::describe() the names. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::ingest {

/// Why an ingest operation failed, and whether a retry can help.
enum class ingest_errc : uint8_t {
  /// A dataset file does not exist or cannot be read. Retry: after fixing the path.
  file_unreadable = 1,
  /// A gzip stream is corrupt or ends early. Retry: no (re-download the file).
  corrupt_gzip,
  /// An IDX file does not start with the magic its role needs. Retry: no.
  bad_magic,
  /// An IDX header announces dimensions this reader does not accept. Retry: no.
  bad_dimensions,
  /// An IDX file holds fewer or more data bytes than its header announces. Retry: no.
  short_data,
  /// Image and label files of one split disagree on the number of items. Retry: no.
  count_mismatch,
  /// A label is outside the dataset's class range. Retry: no.
  bad_label,
  /// The dataset name is not one of fashion-mnist, mnist, shards. Retry: no.
  unknown_dataset,
  /// A cache or shard file is truncated, corrupted or inconsistent; the cache rebuilds it.
  cache_corrupt,
  /// Writing the cache or the ledger failed (disk full, permissions). Retry: maybe.
  io_failure,
  /// The ledger file is corrupt or from an incompatible configuration. Retry: no.
  ledger_corrupt,
  /// A message names a trainer the coordinator does not know; the trainer must register.
  unknown_trainer,
  /// An acknowledgement names a batch that is not outstanding at that trainer (a duplicate,
  /// a batch of another epoch, or one reassigned after the trainer was declared gone). Retry: no.
  not_outstanding,
  /// An option is out of range (batch size 0, no shards, window 0). Retry: no.
  invalid_option,
  /// A sharding request cannot be met (e.g. fewer files than shards). Retry: no.
  unshardable,
};

/// Returns the code's name, e.g. "corrupt_gzip".
std::string to_string(ingest_errc code);

/// Registers the "ingest" error category with `cfg` and its names with describe().
void register_ingest_errors(caf::actor_system_config& cfg);

/// Registers the names with describe() only (for code that builds no actor system).
void register_ingest_error_names();

} // namespace dmlp::ingest

CAF_ERROR_CODE_ENUM(dmlp::ingest::ingest_errc, "ingest")
