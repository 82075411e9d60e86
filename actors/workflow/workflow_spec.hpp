// A workflow definition: a DAG of steps, each running a registered step type with parameters.
// Read from YAML (configs/pipelines/*.yaml, see docs/workflow.md) or built in C++ with the
// same expressiveness:
//   workflow_spec w{"train-and-serve"};
//   w.add(step_spec{"ingest", "file_digest"}.with_parameter("path", "/data/x"))
//    .add(step_spec{"train", "train"}.after("ingest").for_each(json::array({"cnn", "mlp"}))
//         .with_parameter("model", "{{item}}").with_retry({2, retry_on::transient}))
//    .add(step_spec{"serve", "serve"}.after_async("train", "accuracy"));
// Parameter values may hold `{{…}}` templates (templates.hpp). A spec is a plain value; its
// JSON form is what a run records, so a restarted engine re-reads the same definition.
// Not thread-safe (plain value).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace dmlp::workflow {

using json = nlohmann::json;

/// Which failures a step retries.
enum class retry_on {
  /// Every failure, transient or permanent.
  always,
  /// Only failures classified transient (failure_policy.hpp).
  transient,
};

/// Retries of one step.
struct retry_spec {
  /// Retries after the first attempt. Default: 0 (no retry).
  uint32_t limit = 0;
  /// Which failures are retried. Default: transient.
  retry_on on = retry_on::transient;
  /// Delay before the first retry. Default: 1 s.
  std::chrono::milliseconds backoff{1000};
  /// Growth of the delay per retry. Default: 2.
  double factor = 2.0;
  /// Largest delay. Default: 5 min.
  std::chrono::milliseconds max_backoff{300000};
};

/// Memoization of one step.
struct memo_spec {
  /// Whether results are cached and reused. Default: false.
  bool enabled = false;
  /// Entries older than this are not reused; 0 means no expiry. Default: 0.
  std::chrono::milliseconds max_age{0};
};

/// An edge into a step.
struct dependency {
  /// The upstream step.
  std::string step;
  /// Async edge: start on the first upstream result, re-run as better ones arrive.
  bool async = false;
  /// With async: the output value that says which result is better; empty re-runs on every
  /// new result. Default: empty.
  std::string better_by;
  /// With better_by: whether larger values are better. Default: true.
  bool higher_is_better = true;
};

/// One step of a workflow.
struct step_spec {
  /// Unique name in the workflow.
  std::string name;
  /// Registered step type.
  std::string type;
  /// Parameters (a JSON object; values may hold templates). Default: {}.
  json parameters = json::object();
  /// Upstream steps.
  std::vector<dependency> depends;
  /// Fan-out: a JSON array of items, or a template string resolving to one. Default: none.
  std::optional<json> items;
  /// Retries. Default: none.
  retry_spec retry;
  /// Per attempt; 0 uses the engine's default. Default: 0.
  std::chrono::milliseconds timeout{0};
  /// Memoization. Default: off.
  memo_spec memoize;
  /// Memory limit handed to the step in MiB; 0 is unlimited. Default: 0.
  uint64_t memory_mb = 0;

  step_spec() = default;
  step_spec(std::string step_name, std::string step_type)
      : name(std::move(step_name)), type(std::move(step_type)) {}

  /// Sets one parameter.
  step_spec& with_parameter(const std::string& key, json value) {
    parameters[key] = std::move(value);
    return *this;
  }
  /// Adds a synchronous dependency.
  step_spec& after(std::string step) {
    depends.push_back(dependency{std::move(step), false, {}, true});
    return *this;
  }
  /// Adds an async dependency; `better_by` names the output that ranks results.
  step_spec& after_async(std::string step, std::string better_by = {},
                         bool higher_is_better = true) {
    depends.push_back(dependency{std::move(step), true, std::move(better_by), higher_is_better});
    return *this;
  }
  /// Fans out over `list` (an array, or a template string).
  step_spec& for_each(json list) {
    items = std::move(list);
    return *this;
  }
  /// Sets the retries.
  step_spec& with_retry(retry_spec spec) {
    retry = spec;
    return *this;
  }
  /// Sets the timeout per attempt.
  step_spec& with_timeout(std::chrono::milliseconds t) {
    timeout = t;
    return *this;
  }
  /// Turns memoization on.
  step_spec& memoized(std::chrono::milliseconds max_age = std::chrono::milliseconds{0}) {
    memoize = memo_spec{true, max_age};
    return *this;
  }
};

/// A workflow: steps and an optional exit handler.
struct workflow_spec {
  /// Name of the workflow.
  std::string name;
  /// Workflow parameters (`{{workflow.parameters.x}}`). Default: {}.
  json parameters = json::object();
  /// Steps in definition order.
  std::vector<step_spec> steps;
  /// Runs once after every other step finished, whatever the outcome
  /// (`{{workflow.status}}` is "succeeded" or "failed"). Default: none.
  std::optional<step_spec> exit_handler;

  workflow_spec() = default;
  explicit workflow_spec(std::string workflow_name) : name(std::move(workflow_name)) {}

  /// Appends a step.
  workflow_spec& add(step_spec step) {
    steps.push_back(std::move(step));
    return *this;
  }
  /// Sets the exit handler.
  workflow_spec& on_exit(step_spec step) {
    exit_handler = std::move(step);
    return *this;
  }

  /// Checks names, references and acyclicity (workflow_errc::invalid_graph / invalid_spec).
  caf::error validate() const;

  /// Index of the step `name`, or -1.
  int index_of(const std::string& name) const;

  /// JSON form (the same keys as the YAML form).
  json to_json() const;

  /// Parses the JSON form; errors name `source` and the key.
  static caf::expected<workflow_spec> from_json(const json& doc, const std::string& source);
};

/// Parses a workflow from YAML text; `source` names it in errors.
caf::expected<workflow_spec> parse_workflow_yaml(const std::string& text,
                                                 const std::string& source);

/// Reads a workflow YAML file.
caf::expected<workflow_spec> load_workflow_file(const std::string& path);

/// Parses "250ms", "5s", "2m", "1h", "7d" or a number of milliseconds.
caf::expected<std::chrono::milliseconds> parse_duration(const std::string& text);

/// Overrides workflow parameters from "key=value" texts (`-p` flags): the value is parsed as
/// JSON, else taken as a string. A text without "=" or with an empty key is invalid_spec.
caf::error override_parameters(workflow_spec& spec, const std::vector<std::string>& key_values);

/// A fresh run id, "<workflow>-<ms since the epoch>-<4 random hex digits>".
std::string fresh_run_id(const std::string& workflow);

} // namespace dmlp::workflow
