// The ingest coordinator actor: serves one training job's batches to its trainers over the
// ingest protocol (messages/ingest.hpp). A thin shell around the epoch_ledger (which batch goes
// where, exactly once per epoch) and the credit windows inside it (at most `window` batches in
// flight per trainer). It monitors every trainer; a trainer's death returns its outstanding
// batches to the survivors — those the job trained already excepted: with a fence actor
// (options.fence_path, looked up in `names`; the job master), the coordinator first asks it
// which of them are in the model (ingest_fence) and acknowledges those on the lost trainer's
// behalf. A new incarnation of a trainer being fenced joins once the fence answered. A fence
// actor that is not registered, fails at once or dies before it answers (being restarted) is
// asked again every `fence_retry` within `fence_timeout`.
//
// Durability: after every change, before any batch or reply leaves, the coordinator saves the
// ledger to its snapshot store under its supervision path (changes within `commit_interval`
// share one save: group commit). Started by a supervisor through
// coordinator_start() with a snapshot store, a restarted coordinator resumes from the saved
// ledger: nothing acknowledged is served again, nothing outstanding is lost. A restored trainer
// re-attaches by sending any message and then receives its outstanding batches again; a
// trainer that does not re-attach within `reattach_timeout` is treated as gone. If a save
// fails the coordinator exits with the error (nothing unsaved was sent) and its supervisor
// restarts it from the last saved state.
// The samples come in shared and read-only (the memory cache's dataset_content), so restarts
// never reload them. Thread safety: an actor; talk to it with messages only.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/ingest/epoch_ledger.hpp"
#include "actors/ingest/sample_set.hpp"
#include "messages/preprocessing.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::ingest {

/// Options of a coordinator (configs: `ingest.coordinator`).
struct coordinator_options {
  /// Batch size, shuffle seed, shard mode, epochs. `ledger.samples` is taken from the data.
  ledger_options ledger;
  /// Largest window a trainer may ask for. Default: 64.
  uint32_t max_window = 64;
  /// How long a restored coordinator waits for a known trainer to re-attach. Default: 10 s.
  std::chrono::milliseconds reattach_timeout{10000};
  /// Group commit: changes arriving within this interval share one ledger save (one fsync with
  /// a file store); replies and batches leave after the save. 0 saves after every message.
  /// Default: 2 ms.
  std::chrono::milliseconds commit_interval{2};
  /// Registry path of the fence actor (the job master) asked about a lost trainer's outstanding
  /// batches; empty: they all return to the others. Default: empty.
  std::string fence_path;
  /// How long to wait for the fence actor's answer. Default: 30 s.
  std::chrono::milliseconds fence_timeout{30000};
  /// While the fence actor is not registered, fails at once or dies before it answers (the
  /// job master being restarted), it is asked again at this interval, for up to fence_timeout in
  /// all, before the batches return untried. Default: 50 ms.
  std::chrono::milliseconds fence_retry{50};
};

/// What a coordinator serves.
struct coordinator_data {
  /// The preprocessed samples (from the memory cache); never null.
  std::shared_ptr<const dataset_content> content;
  /// Dataset name, for ingest_job.
  std::string dataset;
  /// Content key of the samples, for ingest_job.
  std::string cache_key;
  /// The transform the samples went through.
  preprocessing transform;
  /// Serve only the first N training samples (0: all). A limit instead of a cut copy lets jobs
  /// on a subset share the cached split.
  uint64_t train_limit = 0;
  /// Serve only the first N test samples (0: all).
  uint64_t test_limit = 0;

  /// Training samples served: the split's count, capped by train_limit.
  uint64_t train_count() const;
  /// Test samples served: the split's count, capped by test_limit.
  uint64_t test_count() const;
};

/// The first `limit` of `available` samples (0: all of them).
uint64_t first_samples(uint64_t available, uint64_t limit);

/// Spawns a coordinator. With a `store`, it saves its ledger under `key` and starts from
/// `restored` when given (a ledger that does not decode, or was built for another sample
/// count, is refused with ingest_errc::ledger_corrupt rather than half-used).
caf::expected<caf::actor> spawn_coordinator(caf::actor_system& sys, coordinator_data data,
                                            coordinator_options options,
                                            std::shared_ptr<runtime::snapshot_store> store = {},
                                            std::string key = "",
                                            std::optional<snapshot_record> restored = {},
                                            std::shared_ptr<runtime::name_registry> names = {});

/// A supervisor start function: spawns a coordinator that saves to the child spec's snapshot
/// store under its path and resumes from the newest snapshot there.
runtime::start_function coordinator_start(coordinator_data data, coordinator_options options);

} // namespace dmlp::ingest
