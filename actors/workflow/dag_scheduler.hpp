// The scheduling logic of one workflow run, with no actor inside: which step instances can
// start, fan-out expansion (for_each over a list or an upstream output), fan-in of outputs and
// artifacts, async edges (start on the first upstream result, start a new generation when a
// better one arrives), cancellation after a permanent failure, and the exit handler. The engine
// (workflow_engine.hpp) feeds it results and retry decisions and runs what take_ready() hands
// out; tests drive it by hand.
//
// Instance names: "step" for a plain step, "step[i]" for item i of a fan-out, "step#g" for the
// g-th (g ≥ 2) run of a step with async inputs. A restarted engine restore()s the results it
// finds in the metadata store under those names; instances with a restored result complete
// without running. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/workflow/workflow_spec.hpp"
#include "messages/metadata.hpp"

namespace dmlp::workflow {

/// What a finished step instance produced.
struct step_result {
  /// Output values (a JSON object).
  json outputs = json::object();
  /// Output artifacts with their store ids.
  std::vector<md_output> artifacts;
};

/// Lifecycle of one step instance.
enum class instance_state { pending, running, retry_wait, succeeded, failed, cancelled };

/// Returns "pending", "running", …
std::string to_string(instance_state state);

/// A step instance the engine should start now.
struct dispatch {
  /// Instance name.
  std::string instance;
  /// The step's definition.
  const step_spec* spec = nullptr;
  /// Attempt, 0 for the first.
  uint32_t attempt = 0;
  /// Parameters with templates resolved.
  json parameters = json::object();
  /// Artifacts of upstream instances, named "<instance>.<output>".
  std::vector<md_output> inputs;
  /// Memory limit for this attempt in MiB (0: unlimited).
  uint64_t memory_mb = 0;
  /// Whether this is the exit handler.
  bool exit_handler = false;
};

/// Public view of one instance.
struct instance_view {
  /// Instance name.
  std::string name;
  /// Step name.
  std::string step;
  /// State.
  instance_state state = instance_state::pending;
  /// Attempts started so far minus one.
  uint32_t attempt = 0;
  /// Whether its result came from the memo cache.
  bool memoized = false;
  /// Whether its result was recorded before a restart.
  bool restored = false;
  /// Failure reason when failed or cancelled.
  std::string reason;
  /// Its result when succeeded.
  step_result result;
};

/// The state of one run's DAG.
class dag_scheduler {
public:
  /// `spec` must be valid; `run_id` backs {{workflow.run}}.
  dag_scheduler(workflow_spec spec, std::string run_id);

  /// Declares an instance's result recorded by an earlier engine (call before take_ready()).
  void restore(const std::string& instance, step_result result, bool memoized);

  /// Instances that can start now (marked running), the exit handler once all else ended.
  std::vector<dispatch> take_ready();

  /// Records a success.
  void succeeded(const std::string& instance, step_result result, bool memoized);

  /// Records a permanent failure: the run fails, queued instances are cancelled.
  void failed(const std::string& instance, const std::string& reason);

  /// The instance failed and will be retried after a back-off with `memory_mb`.
  void retry_later(const std::string& instance, uint64_t memory_mb);

  /// The back-off passed; false when the instance was cancelled meanwhile.
  bool retry_due(const std::string& instance);

  /// Whether every instance, the exit handler included, has ended.
  bool finished() const;

  /// "running", "succeeded" or "failed".
  std::string status() const;

  /// The first permanent failure, "instance: reason"; empty when none.
  const std::string& failure() const { return failure_; }

  /// Every instance created so far, in creation order.
  std::vector<instance_view> instances() const;

  /// Steps that never started because the run failed first.
  std::vector<std::string> skipped() const;

  /// The workflow.
  const workflow_spec& spec() const { return spec_; }

private:
  enum class phase { waiting, active, done, failed };

  struct instance_rec {
    instance_view view;
    size_t step = 0;
    int index = -1;
    uint32_t generation = 1;
    json item;
    uint64_t memory_mb = 0;
  };

  struct step_rec {
    phase state = phase::waiting;
    std::vector<size_t> instances;
    uint32_t generations = 0;
    size_t consumed = 0;
    std::optional<double> best_consumed;
  };

  bool has_async(size_t step) const;
  bool deps_done(size_t step) const;
  std::vector<const instance_rec*> results(size_t step) const;
  size_t async_result_count(size_t step) const;
  std::optional<double> async_best(size_t step) const;
  bool progress();
  void create_instance(size_t step, int index, json item, uint32_t generation);
  void settle(size_t step);
  caf::expected<json> lookup(const instance_rec& inst, const std::string& expr) const;
  void cancel_queued();
  instance_rec* find(const std::string& name);
  const step_spec& spec_of(const instance_rec& inst) const;
  bool is_exit(const instance_rec& inst) const { return inst.step == spec_.steps.size(); }

  workflow_spec spec_;
  std::string run_id_;
  std::vector<step_rec> steps_;
  std::vector<instance_rec> instances_;
  std::map<std::string, size_t> by_name_;
  std::map<std::string, std::pair<step_result, bool>> restored_;
  bool failed_ = false;
  std::string failure_;
  std::optional<size_t> exit_instance_;
  bool finished_ = false;
};

} // namespace dmlp::workflow
