// The metadata store: all SQL of dmlp's metadata lives here, over one SQLite connection to one
// database file in WAL mode (readers never block the writer; `sqlite3 metadata.db` can read it
// while dmlp runs). Every write call is atomic: outside a batch it is its own transaction;
// inside begin_batch()/commit_batch() it is a savepoint, so one bad record fails alone while
// the others commit together. Nothing of a failed call is left behind.
// The metadata actor (metadata_actor.hpp) owns one store and is the only writer of a process;
// the CLI opens stores read-only. Errors are metadata_errc with the path and SQLite's text.
// Not thread-safe: one store, one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/metadata/metadata_options.hpp"
#include "messages/metadata.hpp"

struct sqlite3;

namespace dmlp::metadata {

/// Which way a lineage query walks from its artifact.
enum class lineage_direction { upstream, downstream, both };

/// Parses "up", "down" or "both".
caf::expected<lineage_direction> parse_direction(const std::string& text);

/// One SQLite metadata database.
class metadata_store {
public:
  /// Opens (creating when allowed) the database at options.path, switches it to WAL and
  /// migrates it to the current schema. `now_ms` stamps applied migrations.
  static caf::expected<std::unique_ptr<metadata_store>> open(const metadata_options& options,
                                                             int64_t now_ms);

  /// Opens without migrating past `schema_version` (tests of migrations).
  static caf::expected<std::unique_ptr<metadata_store>>
  open_at_version(const metadata_options& options, int schema_version, int64_t now_ms);

  ~metadata_store();
  metadata_store(const metadata_store&) = delete;
  metadata_store& operator=(const metadata_store&) = delete;

  /// The database file.
  const std::string& path() const { return path_; }

  /// The schema version of the file.
  caf::expected<int> schema_version();

  // -- transactions -------------------------------------------------------------------------

  /// Starts a batch: following writes share one transaction until commit_batch().
  caf::error begin_batch();
  /// Commits the batch (one fsync for all its writes).
  caf::error commit_batch();
  /// Drops the batch's writes.
  void rollback_batch();
  /// Whether a batch is open.
  bool in_batch() const { return batch_open_; }

  // -- writes ---------------------------------------------------------------------------------

  /// Inserts a context (id 0) or updates state, properties and updated_ms of one (id > 0).
  caf::expected<int64_t> put_context(const md_context& context, int64_t now_ms);

  /// Inserts or updates an execution with its events and new output artifacts, atomically.
  caf::expected<md_record_ack> record(const md_execution_record& record, int64_t now_ms);

  /// Appends runtime samples; returns how many were stored.
  caf::expected<uint32_t> put_samples(const std::vector<md_sample>& samples);

  /// Stores (replaces) a memo entry; its artifacts must exist.
  caf::error memo_put(const md_memo_entry& entry);

  /// Marks an entry as reused at `now_ms`.
  caf::error memo_hit(const std::string& key, int64_t now_ms);

  /// Deletes an entry (absent: no error).
  caf::error memo_delete(const std::string& key);

  /// Deletes entries last hit before `cutoff_ms`; returns their keys and the URIs of their
  /// artifacts that no remaining entry refers to.
  caf::expected<md_gc_result> memo_gc(int64_t cutoff_ms);

  // -- queries --------------------------------------------------------------------------------

  /// The context of `type` named `name` (metadata_errc::not_found).
  caf::expected<md_context> get_context(const std::string& type, const std::string& name);

  /// All pipeline runs, newest first, with execution counts.
  caf::expected<std::vector<md_run_summary>> list_runs();

  /// Everything recorded for the pipeline run `name`.
  caf::expected<md_run_detail> show_run(const std::string& name);

  /// Samples of one execution, oldest first.
  caf::expected<std::vector<md_sample>> samples(int64_t execution_id);

  /// An artifact by id ("42") or by URI (the newest with that URI).
  caf::expected<md_artifact> find_artifact(const std::string& id_or_uri);

  /// Executions and artifacts upstream and/or downstream of an artifact.
  caf::expected<md_lineage> lineage(int64_t artifact_id, lineage_direction direction);

  /// The memo entry with `key`, artifacts filled in.
  caf::expected<md_memo_lookup> memo_get(const std::string& key);

  /// Result of PRAGMA integrity_check ("ok" when sound).
  caf::expected<std::string> integrity_check();

private:
  metadata_store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static caf::expected<std::unique_ptr<metadata_store>>
  open_impl(const metadata_options& options, int schema_version, int64_t now_ms);

  caf::error atomically(const std::function<caf::error()>& body);

  caf::expected<md_artifact> artifact(int64_t id);
  caf::expected<md_execution> execution(int64_t id);
  caf::expected<int64_t> insert_artifact(const md_artifact& artifact, int64_t now_ms);

  sqlite3* db_;
  std::string path_;
  bool batch_open_ = false;
  uint64_t savepoints_ = 0;
};

} // namespace dmlp::metadata
