// The metadata protocol: the value types every role uses to record artifacts, executions,
// contexts, events and runtime samples with the metadata actor (actors/metadata), and the
// answers of its queries (runs, lineage, memo entries). Modelled on ML Metadata: an artifact is
// a typed, addressed, digested thing; an execution is one run of a step; a context groups
// executions (a pipeline run, an experiment); an event links an execution to an artifact it read
// (INPUT) or wrote (OUTPUT). Properties and parameters travel as JSON object text.
// Plain structs with CAF 0.17 inspect overloads, registered in messages/type_ids.hpp.
//
// Requests the metadata actor accepts (atoms in messages/atoms.hpp; every one is answered):
//   md_put_ctx_atom,   md_context               -> int64_t id      (insert, or update by id)
//   md_get_ctx_atom,   type, name               -> md_context      (metadata.not_found)
//   md_record_atom,    md_execution_record      -> md_record_ack   (one transaction)
//   md_samples_atom,   std::vector<md_sample>   -> uint32_t kept   (after interval thinning)
//   md_get_smp_atom,   int64_t execution_id     -> std::vector<md_sample>
//   md_list_runs_atom                           -> std::vector<md_run_summary>
//   md_show_run_atom,  run name                 -> md_run_detail
//   md_lineage_atom,   int64_t artifact, dir    -> md_lineage       (dir: up|down|both)
//   md_memo_get_atom,  key                      -> md_memo_lookup
//   md_memo_put_atom,  md_memo_entry            -> bool
//   md_memo_hit_atom,  key, int64_t now_ms      -> bool
//   md_memo_del_atom,  key                      -> bool
//   md_memo_gc_atom,   int64_t cutoff_ms        -> md_gc_result
//   md_flush_atom                               -> bool            (pending writes committed)
// Writes are batched: the reply of a write arrives once its batch is committed. Failures are
// metadata_errc (below): a corrupt or locked database says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

namespace dmlp {

/// Why a metadata request failed; says whether a retry can help.
enum class metadata_errc : uint8_t {
  /// The database file could not be opened or created (missing directory, permissions).
  /// Retry: no.
  open_failed = 1,
  /// The file is not an SQLite database or its pages are damaged. Retry: no; restore a copy.
  corrupt,
  /// Another connection holds the write lock longer than the busy timeout. Retry: later.
  locked,
  /// The file's schema is newer than this build understands. Retry: no; upgrade dmlp.
  schema_too_new,
  /// A schema migration failed; the file is left at its previous version. Retry: no.
  migration_failed,
  /// The context, run, artifact or entry asked for does not exist. Retry: no.
  not_found,
  /// A record is invalid (unknown state or kind, bad JSON, dangling artifact id). Retry: no.
  invalid_record,
  /// The disk failed or is full. Retry: maybe, after freeing space.
  io_failure,
  /// Any other SQLite failure; the message carries SQLite's text. Retry: no.
  sql_error,
};

/// Returns the code's name, e.g. "locked".
std::string to_string(metadata_errc code);

/// Whether `err` is the metadata error `code`.
bool is_metadata_error(const caf::error& err, metadata_errc code);

/// A typed thing a step read or wrote: a data set, a model, a metrics file.
struct md_artifact {
  /// Assigned by the store; 0 in a request means "new".
  int64_t id = 0;
  /// Kind of artifact, e.g. "dataset", "model", "value". Default: empty.
  std::string type;
  /// Where it lives, e.g. "file:///var/dmlp/models/cnn-3". Default: empty.
  std::string uri;
  /// Content digest, e.g. "sha256:…". Default: empty (unknown).
  std::string digest;
  /// JSON object text with free properties. Default: "{}".
  std::string properties = "{}";
  /// Creation time, ms since the epoch; 0 lets the store stamp it.
  int64_t created_ms = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_artifact& x) {
  return f(caf::meta::type_name("md_artifact"), x.id, x.type, x.uri, x.digest, x.properties,
           x.created_ms);
}

/// A group of executions: a pipeline run or an experiment.
struct md_context {
  /// Assigned by the store; 0 in a request means "new".
  int64_t id = 0;
  /// Kind, e.g. "pipeline_run", "experiment".
  std::string type;
  /// Unique within its type, e.g. the run id.
  std::string name;
  /// Lifecycle state, e.g. "running", "succeeded", "failed". Default: empty.
  std::string state;
  /// JSON object text with free properties. Default: "{}".
  std::string properties = "{}";
  /// Creation time, ms since the epoch; 0 lets the store stamp it.
  int64_t created_ms = 0;
  /// Last update, ms since the epoch; 0 lets the store stamp it.
  int64_t updated_ms = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_context& x) {
  return f(caf::meta::type_name("md_context"), x.id, x.type, x.name, x.state, x.properties,
           x.created_ms, x.updated_ms);
}

/// One run (one attempt) of a step.
struct md_execution {
  /// Assigned by the store; 0 in a request means "new".
  int64_t id = 0;
  /// The context (pipeline run) it belongs to; 0 for none.
  int64_t context_id = 0;
  /// Step type and version, e.g. "square@1".
  std::string type;
  /// Instance name within its run, e.g. "train[2]".
  std::string name;
  /// "running", "complete", "failed", "memoized" or "cancelled".
  std::string state;
  /// Start time, ms since the epoch.
  int64_t start_ms = 0;
  /// End time, ms since the epoch; 0 while running.
  int64_t end_ms = 0;
  /// JSON object text of the resolved parameters. Default: "{}".
  std::string parameters = "{}";
  /// JSON object text of the output values. Default: "{}".
  std::string outputs = "{}";
  /// Why it ended when not complete (an error line). Default: empty.
  std::string exit_reason;
  /// Attempt number, 0 for the first try; equals the retries before it.
  uint32_t attempt = 0;
  /// JSON object text with free properties (memo key, classification…). Default: "{}".
  std::string properties = "{}";
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_execution& x) {
  return f(caf::meta::type_name("md_execution"), x.id, x.context_id, x.type, x.name, x.state,
           x.start_ms, x.end_ms, x.parameters, x.outputs, x.exit_reason, x.attempt, x.properties);
}

/// An edge from an execution to an artifact it read (INPUT) or wrote (OUTPUT).
struct md_event {
  /// The execution.
  int64_t execution_id = 0;
  /// The artifact.
  int64_t artifact_id = 0;
  /// "INPUT" or "OUTPUT".
  std::string kind;
  /// The artifact's role for the execution, e.g. "model" or "train[1].model".
  std::string name;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_event& x) {
  return f(caf::meta::type_name("md_event"), x.execution_id, x.artifact_id, x.kind, x.name);
}

/// A runtime signal of a running execution.
struct md_sample {
  /// The execution it belongs to.
  int64_t execution_id = 0;
  /// When it was taken, ms since the epoch.
  int64_t time_ms = 0;
  /// "memory" (bytes), "progress" (percent), "metric" (named value) or "step_latency" (ms).
  std::string kind;
  /// Metric name for "metric", worker id for "step_latency"; may be empty otherwise.
  std::string name;
  /// The value.
  double value = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_sample& x) {
  return f(caf::meta::type_name("md_sample"), x.execution_id, x.time_ms, x.kind, x.name, x.value);
}

/// An artifact an execution read, by id.
struct md_input {
  /// Role name of the input.
  std::string name;
  /// The existing artifact.
  int64_t artifact_id = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_input& x) {
  return f(caf::meta::type_name("md_input"), x.name, x.artifact_id);
}

/// An artifact an execution wrote: new (id 0) or an existing one reused (id > 0).
struct md_output {
  /// Role name of the output.
  std::string name;
  /// The artifact.
  md_artifact artifact;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_output& x) {
  return f(caf::meta::type_name("md_output"), x.name, x.artifact);
}

/// One atomic write: an execution (insert when id is 0, else update) with its input and output
/// events and new output artifacts. Either all of it is stored or none.
struct md_execution_record {
  /// The execution row.
  md_execution execution;
  /// Artifacts it read.
  std::vector<md_input> inputs;
  /// Artifacts it wrote.
  std::vector<md_output> outputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, md_execution_record& x) {
  return f(caf::meta::type_name("md_execution_record"), x.execution, x.inputs, x.outputs);
}

/// The answer to md_record_atom: the ids assigned.
struct md_record_ack {
  /// The execution's id.
  int64_t execution_id = 0;
  /// The ids of `outputs`, in order.
  std::vector<int64_t> artifact_ids;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_record_ack& x) {
  return f(caf::meta::type_name("md_record_ack"), x.execution_id, x.artifact_ids);
}

/// A memoized step result: what a later run with the same key reuses.
struct md_memo_entry {
  /// Digest of step type+version, parameters and input artifact digests.
  std::string key;
  /// Step type and version, e.g. "square@1".
  std::string step_type;
  /// The execution that produced the result.
  int64_t execution_id = 0;
  /// JSON object text of the output values.
  std::string outputs = "{}";
  /// Output artifacts (ids must exist); filled in full by lookups.
  std::vector<md_output> artifacts;
  /// Fingerprint of external content the result depends on (e.g. a source's digest).
  std::string content_token;
  /// When the entry was stored, ms since the epoch.
  int64_t created_ms = 0;
  /// Last time it was reused (or stored), ms since the epoch.
  int64_t last_hit_ms = 0;
  /// Times it was reused.
  int64_t hits = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_memo_entry& x) {
  return f(caf::meta::type_name("md_memo_entry"), x.key, x.step_type, x.execution_id, x.outputs,
           x.artifacts, x.content_token, x.created_ms, x.last_hit_ms, x.hits);
}

/// The answer to md_memo_get_atom.
struct md_memo_lookup {
  /// Whether an entry exists.
  bool found = false;
  /// The entry when found.
  md_memo_entry entry;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, md_memo_lookup& x) {
  return f(caf::meta::type_name("md_memo_lookup"), x.found, x.entry);
}

/// The answer to md_memo_gc_atom: what was removed.
struct md_gc_result {
  /// Keys of the removed entries.
  std::vector<std::string> keys;
  /// URIs of artifacts no remaining entry refers to (the caller may delete their files).
  std::vector<std::string> orphan_uris;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_gc_result& x) {
  return f(caf::meta::type_name("md_gc_result"), x.keys, x.orphan_uris);
}

/// One line of `runs list`.
struct md_run_summary {
  /// The run's context.
  md_context context;
  /// Executions recorded for it.
  uint32_t executions = 0;
  /// Of which complete.
  uint32_t complete = 0;
  /// Of which memoized.
  uint32_t memoized = 0;
  /// Of which failed.
  uint32_t failed = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, md_run_summary& x) {
  return f(caf::meta::type_name("md_run_summary"), x.context, x.executions, x.complete, x.memoized,
           x.failed);
}

/// Everything recorded for one run.
struct md_run_detail {
  /// The run's context.
  md_context context;
  /// Its executions, oldest first.
  std::vector<md_execution> executions;
  /// Their events.
  std::vector<md_event> events;
  /// The artifacts those events name.
  std::vector<md_artifact> artifacts;
  /// Number of runtime samples per execution, parallel to `executions`.
  std::vector<int64_t> sample_counts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_run_detail& x) {
  return f(caf::meta::type_name("md_run_detail"), x.context, x.executions, x.events, x.artifacts,
           x.sample_counts);
}

/// A lineage graph around one artifact.
struct md_lineage {
  /// The artifact asked about.
  md_artifact root;
  /// Artifacts reached (the root excluded).
  std::vector<md_artifact> artifacts;
  /// Executions reached.
  std::vector<md_execution> executions;
  /// Edges between them.
  std::vector<md_event> events;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, md_lineage& x) {
  return f(caf::meta::type_name("md_lineage"), x.root, x.artifacts, x.executions, x.events);
}

} // namespace dmlp

CAF_ERROR_CODE_ENUM(dmlp::metadata_errc, "metadata")
