// How the dmlp CLI is put together: each subcommand lives in its own cmd_*.cpp and exposes one
// add_*_command function that registers it on the root CLI11 app. The callback it installs runs
// the command and stores the process exit code in `exit_code`.
// Conventions for every command: progress goes to stderr or to stdout lines; with --json the
// last line of stdout is one JSON object with the command's results; a failure prints one line
// "dmlp <command>: <reason>" to stderr and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

namespace dmlp::cli {

/// Shared state of one CLI invocation.
struct command_context {
  /// Exit code the chosen command sets.
  int exit_code = 0;
};


} // namespace dmlp::cli
