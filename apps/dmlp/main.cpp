// dmlp — the command-line front end of dmlp. Run `build/bin/dmlp --help` for the commands.
#include <iostream>

#include "apps/dmlp/command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dmlp: distributed machine learning on supervised actors"};
  app.set_version_flag("--version", std::string{"dmlp 0.1.0"});
  app.require_subcommand(1);
  dmlp::cli::command_context ctx;
  dmlp::cli::add_demo_command(app, ctx);
  dmlp::cli::add_ingest_command(app, ctx);
  dmlp::cli::add_train_command(app, ctx);
  dmlp::cli::add_jobs_command(app, ctx);
  dmlp::cli::add_serve_command(app, ctx);
  dmlp::cli::add_model_command(app, ctx);
  dmlp::cli::add_runs_command(app, ctx);
  dmlp::cli::add_lineage_command(app, ctx);
  dmlp::cli::add_workflow_command(app, ctx);
  dmlp::cli::add_pipeline_command(app, ctx);
  dmlp::cli::add_cluster_command(app, ctx);
  dmlp::cli::add_chaos_command(app, ctx);
  dmlp::cli::add_bench_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
