// The metadata actor: the one writer of a metadata database in a process. It owns a
// metadata_store and answers the metadata protocol (messages/metadata.hpp). Writes are
// batched: each write waits in a queue, and the queue is committed as one transaction when it
// holds options.batch_max writes or options.batch_interval after the first one arrived (each
// write a savepoint: one bad record fails alone). A write's reply comes after its batch is
// durable. Queries first commit what is queued (read your writes). Runtime samples are thinned
// to options.sample_interval per execution, kind and name.
// Spawned with spawn_metadata_actor, or supervised through metadata_child(). Errors are
// metadata_errc lines (corrupt or locked files say so).
#pragma once

#include <cstdint>
#include <functional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/metadata/metadata_options.hpp"
#include "runtime/child_spec.hpp"

namespace dmlp::metadata {

/// Milliseconds since the epoch.
using clock_function = std::function<int64_t()>;

/// The system clock in ms since the epoch.
int64_t system_clock_ms();

/// How the actor runs.
struct actor_options {
  /// On its own thread, so SQLite's fsyncs do not stall the scheduler. Default: true; tests on
  /// the deterministic scheduler set false.
  bool dedicated_thread = true;
  /// Clock stamping records. Default: system_clock_ms.
  clock_function clock = system_clock_ms;
};

/// Opens the database (errors surface here) and spawns the actor that owns it.
caf::expected<caf::actor> spawn_metadata_actor(caf::actor_system& sys,
                                               const metadata_options& options,
                                               actor_options how = {});

/// A permanent supervised child "metadata" running the actor.
runtime::child_spec metadata_child(metadata_options options, actor_options how = {});

} // namespace dmlp::metadata
