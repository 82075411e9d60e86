// The benchmark suite behind `dmlp bench all`: which benchmark programs exist (build/bin/bench),
// how each is run in full and with --quick, and which of the numbers in its JSON result line
// make a row of the suite's table (a value, the baseline it was measured against in the same
// run, their ratio, and the target where the issue sets one). Turning one program's output into
// rows, and rows into the table and the JSON report, are plain functions of their inputs, so
// they are unit-tested on canned outputs (tests/unit/bench/); running the programs is
// apps/dmlp/cmd_bench.cpp's job. Not thread-safe state: there is none besides the catalog.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dmlp::cli {

/// A bound a ratio should meet.
struct bench_target {
  /// True: ratio >= bound is met; false: ratio <= bound is met.
  bool at_least = true;
  double bound = 0;
};

/// One row of the table: where its numbers are in a benchmark's JSON result.
struct bench_metric_spec {
  /// What is compared, e.g. "request throughput, supervised vs unsupervised".
  std::string metric;
  /// Unit of the value and the baseline, e.g. "req/s".
  std::string unit;
  /// JSON pointer to the measured value, e.g. "/supervised_req_per_s".
  std::string value;
  /// JSON pointer to the baseline; empty when the benchmark has none for this metric.
  std::string baseline;
  /// The baseline is the pointed number times this (e.g. 2 × one worker's throughput).
  double baseline_factor = 1;
  /// JSON pointer to the ratio the benchmark computed itself; empty: value / baseline.
  std::string ratio;
  /// The target for the ratio, where the benchmark's issue sets one.
  std::optional<bench_target> target;
};

/// One benchmark program of the suite.
struct bench_spec {
  /// Suite name (`--only NAME`): runtime, ingest, metadata, workflow, serving, training,
  /// allreduce, recovery, memory, cluster, scheduler.
  std::string name;
  /// Executable name in build/bin/bench.
  std::string program;
  /// Extra arguments with --quick (the shortest settings the program offers); --json is
  /// always passed.
  std::vector<std::string> quick_arguments;
  /// The rows it contributes.
  std::vector<bench_metric_spec> metrics;
};

/// Every benchmark of the project, in the order `dmlp bench all` runs them.
const std::vector<bench_spec>& bench_catalog();

/// One row of the suite's table.
struct bench_row {
  std::string benchmark;
  std::string metric;
  std::string unit;
  std::optional<double> value;
  std::optional<double> baseline;
  std::optional<double> ratio;
  std::optional<bench_target> target;
  /// Whether the ratio meets the target (empty without a target or a ratio).
  std::optional<bool> met;
  /// Why a number is missing ("" when the row is complete).
  std::string note;
};

/// What one benchmark run gave.
struct bench_outcome {
  std::string name;
  /// The command line that ran, program first.
  std::vector<std::string> command;
  /// Wall-clock seconds of the run.
  double seconds = 0;
  /// "" when the program succeeded and printed its JSON result line.
  std::string error;
  /// The program's JSON result (the last line of its stdout), as printed.
  nlohmann::json result;
  std::vector<bench_row> rows;
};

/// Builds the outcome of `spec` from the program's exit status (as from waitpid) and its
/// captured stdout: the last non-empty line must be a JSON object. A failed run, or output
/// without that line, gives an outcome with `error` set and no rows; a result that lacks a
/// number a row needs gives that row a note.
bench_outcome make_bench_outcome(const bench_spec& spec, std::vector<std::string> command,
                                 double seconds, int exit_status, const std::string& output);

/// Rows of `spec` from its program's JSON result.
std::vector<bench_row> extract_bench_rows(const bench_spec& spec, const nlohmann::json& result);

/// ">= 0.95" or "<= 1.2".
std::string to_string(const bench_target& target);

/// The suite's table: a header and one line per row (benchmark, metric, value, baseline,
/// ratio, target), then one line per failed benchmark.
std::string format_bench_table(const std::vector<bench_outcome>& outcomes);

/// The suite's JSON report: {"quick":…,"benchmarks":[{name, command, seconds, ok, error,
/// result}],"rows":[{benchmark, metric, unit, value, baseline, ratio, target, met, note}],
/// "failed":[names]}. Missing numbers are null.
nlohmann::json bench_report_json(const std::vector<bench_outcome>& outcomes, bool quick);

} // namespace dmlp::cli
