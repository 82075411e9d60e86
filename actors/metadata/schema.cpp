#include "actors/metadata/schema.hpp"

#include "actors/metadata/detail/sqlite.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "messages/errors.hpp"

namespace dmlp::metadata {

namespace {

// Migration i (1-based) is migrations[i - 1]. Never edit a shipped migration: append one.
const char* const migrations[current_schema_version] = {
    // 1: the ML Metadata core: artifacts, contexts, executions, events.
    R"sql(
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  uri TEXT NOT NULL,
  digest TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),
  created_ms INTEGER NOT NULL
);
CREATE INDEX artifacts_uri ON artifacts(uri);
CREATE TABLE contexts (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (type, name)
);
CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  context_id INTEGER REFERENCES contexts(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('running', 'complete', 'failed', 'memoized', 'cancelled')),
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL DEFAULT 0,
  parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
  outputs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(outputs)),
  exit_reason TEXT NOT NULL DEFAULT '',
  attempt INTEGER NOT NULL DEFAULT 0,
  properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties))
);
CREATE INDEX executions_context ON executions(context_id);
CREATE TABLE events (
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
  kind TEXT NOT NULL CHECK (kind IN ('INPUT', 'OUTPUT')),
  name TEXT NOT NULL,
  PRIMARY KEY (execution_id, artifact_id, kind, name)
);
CREATE INDEX events_artifact ON events(artifact_id);
)sql",
    // 2: runtime samples per execution.
    R"sql(
CREATE TABLE samples (
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('memory', 'progress', 'metric', 'step_latency')),
  name TEXT NOT NULL DEFAULT '',
  value REAL NOT NULL
);
CREATE INDEX samples_execution ON samples(execution_id, time_ms);
)sql",
    // 3: step memoization entries and the artifacts they reuse.
    R"sql(
CREATE TABLE memo_entries (
  key TEXT PRIMARY KEY,
  step_type TEXT NOT NULL,
  execution_id INTEGER REFERENCES executions(id),
  outputs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(outputs)),
  content_token TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  last_hit_ms INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX memo_last_hit ON memo_entries(last_hit_ms);
CREATE TABLE memo_artifacts (
  key TEXT NOT NULL REFERENCES memo_entries(key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
  PRIMARY KEY (key, name)
);
)sql",
};

} // namespace

caf::expected<int> read_schema_version(sqlite3* db, const std::string& path) {
  detail::statement has_table{
      db, path, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'"};
  auto row = has_table.step();
  if (!row)
    return std::move(row.error());
  if (has_table.int64(0) == 0)
    return 0;
  detail::statement version{db, path, "SELECT coalesce(max(version), 0) FROM schema_version"};
  row = version.step();
  if (!row)
    return std::move(row.error());
  return static_cast<int>(version.int64(0));
}

caf::error check_not_newer(int version, const std::string& path) {
  if (version <= current_schema_version)
    return {};
  return caf::make_error(metadata_errc::schema_too_new, path + ": schema version " +
                                                            std::to_string(version) +
                                                            " is newer than this build's " +
                                                            std::to_string(current_schema_version));
}

caf::error migrate(sqlite3* db, const std::string& path, int target, int64_t now_ms) {
  auto version = read_schema_version(db, path);
  if (!version)
    return std::move(version.error());
  if (auto err = check_not_newer(*version, path))
    return err;
  for (int next = *version + 1; next <= target && next <= current_schema_version; ++next) {
    if (auto err = detail::exec(db, path, "BEGIN IMMEDIATE"))
      return err;
    std::string sql = next == 1 ? "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                  "applied_ms INTEGER NOT NULL);"
                                : "";
    sql += migrations[next - 1];
    sql += "INSERT INTO schema_version (version, applied_ms) VALUES (" + std::to_string(next) +
           ", " + std::to_string(now_ms) + ");";
    if (auto err = detail::exec(db, path, sql)) {
      detail::exec(db, path, "ROLLBACK");
      if (is(err, metadata_errc::locked) || is(err, metadata_errc::corrupt))
        return err;
      return caf::make_error(metadata_errc::migration_failed,
                             "migration to schema version " + std::to_string(next) +
                                 " failed: " + dmlp::describe(err));
    }
    if (auto err = detail::exec(db, path, "COMMIT")) {
      detail::exec(db, path, "ROLLBACK");
      return err;
    }
  }
  return {};
}

} // namespace dmlp::metadata
