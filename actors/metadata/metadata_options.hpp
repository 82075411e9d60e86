// Options of the metadata store and its actor, mapped one to one from a `metadata:` YAML
// mapping (configs/*.yaml) by read_metadata_options. Also says where the database lives by
// default: --db, else $DMLP_HOME/metadata.db, else ~/.dmlp/metadata.db.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "runtime/config.hpp"

namespace dmlp::metadata {

/// How the metadata database is opened and written.
struct metadata_options {
  /// Database file. Default: default_database_path().
  std::string path;
  /// How long a write waits for another connection's lock before failing with
  /// metadata_errc::locked. Default: 2 s.
  std::chrono::milliseconds busy_timeout{2000};
  /// fsync on every commit ("full") or at WAL checkpoints only ("normal", survives a process
  /// crash but not a power loss). Default: "full".
  std::string synchronous = "full";
  /// Open for reading only (the CLI's queries). Default: false.
  bool read_only = false;
  /// Most writes the actor commits in one transaction. Default: 256.
  uint32_t batch_max = 256;
  /// How long the actor waits for more writes before committing a batch. Default: 5 ms.
  std::chrono::milliseconds batch_interval{5};
  /// Runtime samples of one execution, kind and name closer together than this are dropped.
  /// Default: 1 s; 0 keeps every sample.
  std::chrono::milliseconds sample_interval{1000};
};

/// $DMLP_HOME/metadata.db, else $HOME/.dmlp/metadata.db, else ./metadata.db.
std::string default_database_path();

/// Reads a `metadata:` mapping (path, busy_timeout, synchronous, batch_max, batch_interval,
/// sample_interval) into `options`, keeping defaults for absent keys; finish() included.
caf::error read_metadata_options(runtime::config_reader& reader, metadata_options& options);

} // namespace dmlp::metadata
