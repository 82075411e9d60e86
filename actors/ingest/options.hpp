// All options of one ingest job, read one-to-one from an `ingest:` YAML mapping through the
// strict config_reader (an unknown key is an error naming the file and key):
//   ingest:
//     dataset: fashion-mnist        # dataset_options::name
//     data_dir: ""                  # dataset_options::data_dir ("" = /usr/share/datasets/<name>)
//     cache_dir: ""                 # cache_options::directory ("" = default_cache_dir())
//     shards: 4                     # cache_options::shards
//     batch_size: 64                # coordinator_options::ledger.batch_size
//     seed: 1                       # ledger.seed
//     shuffle: true                 # ledger.shuffle
//     shard_mode: contiguous        # ledger.mode (contiguous | strided)
//     max_epochs: 0                 # ledger.max_epochs (0 = unbounded)
//     max_window: 64                # coordinator_options::max_window
//     reattach_timeout: 10s         # coordinator_options::reattach_timeout
//     commit_interval: 2ms          # coordinator_options::commit_interval (0 = every message)
// Plain values; not thread-safe.
#pragma once

#include <caf/error.hpp>

#include "actors/ingest/coordinator.hpp"
#include "actors/ingest/dataset.hpp"
#include "actors/ingest/disk_cache.hpp"
#include "runtime/config.hpp"

namespace dmlp::ingest {

/// Everything one ingest job is configured with.
struct ingest_options {
  /// Where the samples come from.
  dataset_options dataset;
  /// Where they are cached.
  cache_options cache;
  /// How they are served.
  coordinator_options coordinator;
};

/// Reads the keys above from `reader` (the `ingest:` mapping) into `out`, keeping defaults for
/// absent keys, and rejects unknown keys and out-of-range values.
caf::error read_ingest_options(runtime::config_reader& reader, ingest_options& out);

} // namespace dmlp::ingest
