// Running the dmlp executables from tests: a shell command's exit code and output, and the
// JSON object on the last line of an output (the CLI's --json convention). For integration
// tests that drive build/bin/dmlp like a user does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dmlp::testing {

/// What a shell command did.
struct shell_result {
  /// Exit code; -1 when it did not exit normally.
  int code = -1;
  /// Its standard output (and standard error when merged).
  std::string out;
};

/// Runs `command` with /bin/sh; stderr joins stdout when `merge_stderr`.
shell_result run_shell(const std::string& command, bool merge_stderr = true);

/// The JSON object on the last non-empty line of `out`; a discarded value when there is none.
nlohmann::json last_json_line(const std::string& out);

/// $DMLP_BIN_DIR/<name>: an executable of the build under test.
std::string build_binary(const std::string& name);

} // namespace dmlp::testing
