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

void add_demo_command(CLI::App& app, command_context& ctx);

/// `dmlp ingest`: load a dataset through the ingest cache (apps/dmlp/cmd_ingest.cpp).
void add_ingest_command(CLI::App& app, command_context& ctx);

/// `dmlp serve`: serve a model directory over HTTP (apps/dmlp/cmd_serve.cpp).
void add_serve_command(CLI::App& app, command_context& ctx);

/// `dmlp model init|info`: create and inspect model artifacts (apps/dmlp/cmd_model.cpp).
void add_model_command(CLI::App& app, command_context& ctx);

/// `dmlp runs list|show`: recorded pipeline runs (apps/dmlp/cmd_runs.cpp).
void add_runs_command(CLI::App& app, command_context& ctx);
/// `dmlp lineage ARTIFACT`: lineage of an artifact (apps/dmlp/cmd_lineage.cpp).
void add_lineage_command(CLI::App& app, command_context& ctx);
/// `dmlp workflow run|resume|gc`: run workflows (apps/dmlp/cmd_workflow.cpp).
void add_workflow_command(CLI::App& app, command_context& ctx);

/// `dmlp pipeline run|resume`: the end-to-end pipeline (apps/dmlp/cmd_pipeline.cpp).
void add_pipeline_command(CLI::App& app, command_context& ctx);

/// `dmlp train`: data-parallel training (apps/dmlp/cmd_train.cpp).
void add_train_command(CLI::App& app, command_context& ctx);
/// `dmlp jobs submit|list|cancel`: scheduled jobs (apps/dmlp/cmd_jobs.cpp).
void add_jobs_command(CLI::App& app, command_context& ctx);

/// `dmlp cluster up|down|status`: local clusters and membership (apps/dmlp/cmd_cluster.cpp).
void add_cluster_command(CLI::App& app, command_context& ctx);
/// `dmlp chaos kill|node`: kill actors or fault node processes (apps/dmlp/cmd_chaos.cpp).
void add_chaos_command(CLI::App& app, command_context& ctx);

/// `dmlp bench all`: the benchmark suite (apps/dmlp/cmd_bench.cpp).
void add_bench_command(CLI::App& app, command_context& ctx);

} // namespace dmlp::cli
