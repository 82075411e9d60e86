// Options of the workflow engine, mapped one to one from a `workflow:` YAML mapping by
// read_engine_options. The artifact root defaults to $DMLP_HOME/artifacts (else
// ~/.dmlp/artifacts): every step attempt writes below <root>/<run>/<instance>/attempt-<n>.
#pragma once

#include <chrono>
#include <string>

#include <caf/error.hpp>

#include "runtime/config.hpp"

namespace dmlp::workflow {

/// How a workflow engine runs steps.
struct engine_options {
  /// Directory of step outputs. Default: default_artifact_root().
  std::string artifact_root;
  /// Timeout of one step attempt when the step sets none. Default: 1 h.
  std::chrono::milliseconds step_timeout{3600000};
  /// Timeout of every request to the metadata actor. Default: 30 s.
  std::chrono::milliseconds metadata_timeout{30000};
  /// Interval of memory samples of running steps; 0 turns sampling off. Default: 1 s.
  std::chrono::milliseconds sample_interval{1000};
  /// Memo entries not hit within this horizon are collected by `dmlp workflow gc`.
  /// Default: 7 days.
  std::chrono::milliseconds memo_gc_horizon{7LL * 24 * 3600 * 1000};
};

/// $DMLP_HOME/artifacts, else $HOME/.dmlp/artifacts, else ./artifacts.
std::string default_artifact_root();

/// Reads a `workflow:` mapping (artifact_root, step_timeout, metadata_timeout,
/// sample_interval, memo_gc_horizon); finish() included.
caf::error read_engine_options(runtime::config_reader& reader, engine_options& options);

} // namespace dmlp::workflow
