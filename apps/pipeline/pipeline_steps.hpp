// The step types of the book's end-to-end project (chapters 7–9), for the workflow engine
// (actors/workflow). They wire several roles together, so they live in apps/:
//   ingest_dataset  ingest a dataset through the disk cache; artifact "dataset" (a shard
//                   directory); probe = the source files' digest (memo invalidation)
//   train_model     one distributed training job (apps/jobs run_training) admitted as a gang by
//                   the scheduler; artifacts "model" and "metrics" (CSV over time)
//   select_best     fan-in: the best model by test accuracy (ties → the earlier one), its
//                   confusion matrix on the whole test split; re-emits the model artifact
//   serve_model     publishes a model version to the pipeline's server (start or hot swap)
//   smoke_load      a short HTTP load against the served endpoint
// docs/pipeline.md lists their parameters and outputs. Registration is thread-safe; each step
// runs on its own thread (they compute or block for long).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/scheduler/job.hpp"
#include "actors/workflow/step_registry.hpp"
#include "apps/pipeline/progress_board.hpp"
#include "apps/pipeline/serving_host.hpp"
#include "runtime/cluster/node_options.hpp"

namespace dmlp::pipeline {

/// Held while a job's gang is placed; releasing it (destruction) frees the placement.
using gang_lease = std::shared_ptr<void>;

/// What the scheduler granted a job.
struct granted_gang {
  /// Held while the gang is placed.
  gang_lease lease;
  /// The node of every granted trainer instance.
  std::vector<std::string> trainer_nodes;
};

/// Blocks until the scheduler placed the job's minimum gang; an error when it never can.
using gang_admission = std::function<caf::expected<granted_gang>(const scheduler::job_spec&)>;

/// What the pipeline's steps share.
struct pipeline_context {
  /// Live output.
  std::shared_ptr<progress_board> progress;
  /// The run's model server.
  std::shared_ptr<serving_host> serving;
  /// Admits training jobs.
  gang_admission admit;
  /// Node agents of the cluster whose nodes run the trainers (on the nodes the scheduler
  /// granted); empty: trainers run in this process.
  std::vector<std::string> seeds;
  /// How this process connects to those nodes (a TLS cluster's client certificate).
  runtime::tls_options tls;
  /// Root of the ingest disk cache; empty: ingest's default.
  std::string cache_dir;
  /// The submitting user and group (scheduler fair share).
  std::string user = "dmlp";
  std::string group = "pipelines";
};

/// Registers ingest_dataset, train_model, select_best, serve_model and smoke_load.
void register_pipeline_steps(workflow::step_registry& registry,
                             std::shared_ptr<pipeline_context> context);

/// "file:///x" → "/x" (other strings unchanged).
std::string path_of_uri(const std::string& uri);

} // namespace dmlp::pipeline
