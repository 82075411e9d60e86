// What a pipeline run reports: the summary (the `--json` line of `dmlp pipeline run`, built from
// the run's executions in the metadata store, so a memoized second run reports the same
// models) and the report directory:
//   summary.json            the summary
//   metrics/<model>.csv     each model's metrics over time (seconds, epoch, step, loss, …)
//   confusion.csv           the selected model's confusion matrix on the test split
//   loss.png, accuracy.png  training curves per model; confusion.png the matrix (gnuplot)
//   lineage.json            the served model's upstream lineage (data, steps, parameters)
// Pure functions plus file writes; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "messages/metadata.hpp"

namespace dmlp::pipeline {

/// The summary of run `detail` that took `seconds`:
/// {"run_id","status","failure","models":[{"name","test_accuracy","train_seconds",…}],
///  "selected","selected_accuracy","memoized_steps":[…],"serving":{"url","requests_per_s",
///  "p99_ms",…},"seconds"}. Steps are recognised by their step types.
nlohmann::json summarize(const md_run_detail& detail, const std::string& status,
                         const std::string& failure, double seconds);

/// Files the report wrote, relative to its directory, and why plots are missing if they are.
struct report_files {
  std::vector<std::string> written;
  std::string plot_note;
};

/// Writes the report directory for `summary`; `lineage` is the served model's lineage (may be
/// null). Plots need gnuplot; without it the report says so and keeps everything else.
caf::expected<report_files> write_report(const std::string& dir, const nlohmann::json& summary,
                                         const nlohmann::json& lineage);

} // namespace dmlp::pipeline
