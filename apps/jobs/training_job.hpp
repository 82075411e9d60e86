// An embedded training job: the whole of `dmlp train` in one process (the in-process cluster).
// run_training() loads the dataset through the ingest disk cache, builds one supervision tree
//   train (one_for_one)
//     coordinator   ingest coordinator, ledger saved to a snapshot store (restarts resume)
//     ps            one_for_one supervisor of the PS shards (strategy ps; checkpoints)
//     master        job master (membership, steps)
//     workers       simple_one_for_one pool of trainers (elasticity = its size)
// starts `workers` trainers, applies the scheduled events (kills, joins, leaves) as the job
// reaches their step, waits for the ingest job's last epoch, evaluates the final parameters on
// the test split and saves them as a model artifact with the preprocessing record and metrics.
// Torch-free header. Thread-safe: several jobs may run at once on different threads, each with
// its own actor system; libtorch's intra-op thread count is process-wide, so the `threads` of
// the job started last applies to all of them (docs/training.md, Several jobs in one process).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/training/consistency_gate.hpp"
#include "actors/training/flat_optimizer.hpp"
#include "actors/training/trainer.hpp"
#include "apps/jobs/stop_token.hpp"
#include "runtime/cluster/node_options.hpp"

namespace dmlp::training {

/// Something that happens to a running job once it committed `at_step` steps.
struct job_event {
  /// What happens.
  enum class kind {
    /// Kill a trainer (its supervisor restarts it).
    kill_trainer,
    /// Kill a PS shard (restarted from its checkpoint).
    kill_shard,
    /// Kill the ingest coordinator (restarted from its ledger).
    kill_coordinator,
    /// Kill the job master (restarted from its snapshot).
    kill_master,
    /// Add a trainer to the pool.
    add_worker,
    /// Remove a trainer from the pool.
    remove_worker,
  };
  /// The kind.
  kind what = kind::kill_trainer;
  /// Committed steps after which it happens.
  uint64_t at_step = 0;
  /// Index of the trainer or shard concerned (kill, remove). Default: 0.
  uint32_t target = 0;
};

/// Options of a training job (configs: `training`; CLI flags of `dmlp train`).
struct job_options {
  /// Architecture. Default: "cnn".
  std::string model = "cnn";
  /// Strategy. Default: allreduce.
  strategy kind = strategy::allreduce;
  /// Trainers started at the beginning. Default: 2.
  uint32_t workers = 2;
  /// Workers needed to start; 0 = workers. Default: 0.
  uint32_t min_workers = 0;
  /// Most workers; 0 = max(workers, min_workers). Default: 0.
  uint32_t max_workers = 0;
  /// PS shards. Default: 2.
  uint32_t ps_shards = 2;
  /// PS consistency. Default: sync.
  consistency mode = consistency::sync;
  /// ssp staleness. Default: 2.
  uint32_t staleness = 2;
  /// Epochs. Default: 1.
  uint32_t epochs = 1;
  /// Per-trainer batch size. Default: 64.
  uint32_t batch_size = 64;
  /// libtorch threads per trainer. Default: 1.
  uint32_t threads = 1;
  /// Training samples per epoch: the first N of the split; 0 = all. Default: 0.
  uint64_t train_samples = 0;
  /// Test samples evaluated: the first N; 0 = all. Default: 0.
  uint64_t test_samples = 0;
  /// Model output directory; empty = do not save. Default: empty.
  std::string out_dir;
  /// Directory for PS checkpoints; empty = <out_dir>/checkpoints or a temporary one.
  std::string checkpoint_dir;
  /// PS checkpoint interval in updates. Default: 50.
  uint64_t checkpoint_every = 50;
  /// Dataset name and location. Default: fashion-mnist in its default place.
  std::string dataset = "fashion-mnist";
  /// Dataset directory; empty = default. Default: empty.
  std::string data_dir;
  /// Seed of initial parameters and shuffling. Default: 1.
  uint64_t seed = 1;
  /// Optimizer and learning-rate rules.
  optimizer_options optimizer;
  /// Fusion bucket in floats. Default: 65536.
  size_t bucket_elems = 65536;
  /// Extra delay before each push of trainer 0 (ps; a deliberately slow worker). Default: 0.
  std::chrono::milliseconds slow_push{0};
  /// Whole-job timeout. Default: 6 h.
  std::chrono::milliseconds timeout{6 * 3600 * 1000};
  /// Events to apply during the run, by step.
  std::vector<job_event> events;
  /// Stop request: when triggered, the job stops at a step boundary, saves its state to
  /// `state_dir` and run_training returns a report with `stopped`. Default: none.
  std::shared_ptr<stop_token> stop;
  /// Job state directory: a stopped job leaves its state here (master snapshot, ingest ledger,
  /// PS checkpoints; docs/formats/training-state.md) and a later run with the same options
  /// resumes from it; a finished job removes it. A stop needs one. Default: empty (none).
  std::string state_dir;
  /// Node agents ("host:port") of a cluster whose nodes run the trainers (role `trainer`,
  /// apps/jobs/trainer_role.hpp); coordinator, master and shards stay in this process. Empty =
  /// trainers in this process too. Default: empty.
  std::vector<std::string> seeds;
  /// With `seeds`: how this process connects to the nodes; a TLS cluster needs a certificate
  /// its CA signed (a node YAML's `tls:` section; `dmlp train --config`). Default: plaintext.
  runtime::tls_options tls;
  /// Where trainers run with `seeds`: any, node:NAME or label:KEY=VALUE. Default: any.
  std::string placement = "any";
  /// With `seeds`: the nodes trainers may run on (a scheduler's grant; the least loaded live
  /// one is chosen at each start); empty = wherever `placement` allows. Default: empty.
  std::vector<std::string> nodes;
  /// Compare the replicas' states after every committed step (allreduce; slow). Default: false.
  bool verify_replicas = false;
  /// allreduce without `seeds`: trainers run their ring on ring links (TCP on `link_host`) as
  /// cluster trainers do, instead of in-process actor messages (tests). Default: false.
  bool direct_link = false;
  /// Where those links listen. Default: "127.0.0.1".
  std::string link_host = "127.0.0.1";
  /// What those links tell their neighbours to connect to; empty = link_host. Default: empty.
  std::string link_advertise;
  /// Called with (steps, epoch, loss, samples, workers) after each committed step.
  std::function<void(uint64_t, uint64_t, double, uint64_t, uint32_t)> on_progress;
  /// Test samples (the first N) that on_epoch's accuracy is measured on. Default: 2000.
  uint64_t epoch_eval_samples = 2000;
  /// Called with (completed epochs, test accuracy of a live replica) after each epoch but the
  /// last (the report holds the final accuracy on the whole test split); empty: no evaluation.
  std::function<void(uint64_t, double)> on_epoch;
};

/// What a job did.
struct job_report {
  /// Whether the job stopped on request (its state is in state_dir) rather than finished.
  bool stopped = false;
  /// Test accuracy of the final parameters.
  double test_accuracy = 0;
  /// Samples trained per second of training wall time.
  double train_images_per_s = 0;
  /// Committed steps (PS: applied pushes with data).
  uint64_t steps = 0;
  /// Supervised restarts during the job.
  uint64_t restarts = 0;
  /// Samples the ingest ledger acknowledged over all epochs.
  uint64_t samples_trained = 0;
  /// Samples inside committed steps (equals samples_trained when nothing was trained twice).
  uint64_t samples_committed = 0;
  /// Training samples per epoch.
  uint64_t epoch_samples = 0;
  /// Training wall time in seconds.
  double seconds = 0;
  /// Summed seconds computing gradients, over all trainers.
  double compute_s = 0;
  /// Summed seconds exchanging gradients or parameters, over all trainers.
  double comm_s = 0;
  /// Summed seconds waiting for batches, over all trainers.
  double wait_s = 0;
  /// PS: the largest staleness of a shard's answer (pusher's clock minus the slowest live
  /// member's) during the job.
  uint64_t max_staleness = 0;
  /// allreduce: steps aborted because a member was lost mid-step (their work was redone).
  uint64_t aborted_steps = 0;
  /// ps: batches of lost trainers that reached some shards only (train_progress).
  uint64_t partial_pushes = 0;
  /// The saved model version (0 when not saved).
  uint32_t version = 0;
  /// Replica comparisons made (verify_replicas).
  uint64_t replica_checks = 0;
  /// Comparisons that found differing bytes.
  uint64_t replica_mismatches = 0;
  /// Workers at the end.
  uint32_t final_workers = 0;
  /// Most workers at any time.
  uint32_t peak_workers = 0;
  /// Final parameters and buffers.
  std::vector<float> values;
};

/// Checks options for consistency (training_errc::invalid_option with the offending flag).
caf::error validate(const job_options& options);

/// Runs one job to completion, or until `options.stop` is triggered (report.stopped). With a
/// state_dir that holds a stopped job's state, resumes that job; a state dir that is corrupt
/// or of another job (model, sizes, strategy) is an error (training_errc::bad_checkpoint) and
/// is left as it is.
caf::expected<job_report> run_training(const job_options& options);

} // namespace dmlp::training
