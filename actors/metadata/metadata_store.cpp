#include "actors/metadata/metadata_store.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <set>

#include <sqlite3.h>

#include "actors/metadata/detail/sqlite.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/schema.hpp"

namespace dmlp::metadata {

using detail::statement;

namespace {

const char* const execution_columns =
    "id, coalesce(context_id, 0), type, name, state, start_ms, end_ms, parameters, outputs, "
    "exit_reason, attempt, properties";

md_execution read_execution(const statement& q) {
  md_execution x;
  x.id = q.int64(0);
  x.context_id = q.int64(1);
  x.type = q.text(2);
  x.name = q.text(3);
  x.state = q.text(4);
  x.start_ms = q.int64(5);
  x.end_ms = q.int64(6);
  x.parameters = q.text(7);
  x.outputs = q.text(8);
  x.exit_reason = q.text(9);
  x.attempt = static_cast<uint32_t>(q.int64(10));
  x.properties = q.text(11);
  return x;
}

const char* const artifact_columns = "id, type, uri, digest, properties, created_ms";

md_artifact read_artifact(const statement& q) {
  md_artifact a;
  a.id = q.int64(0);
  a.type = q.text(1);
  a.uri = q.text(2);
  a.digest = q.text(3);
  a.properties = q.text(4);
  a.created_ms = q.int64(5);
  return a;
}

const char* const context_columns = "id, type, name, state, properties, created_ms, updated_ms";

md_context read_context(const statement& q) {
  md_context c;
  c.id = q.int64(0);
  c.type = q.text(1);
  c.name = q.text(2);
  c.state = q.text(3);
  c.properties = q.text(4);
  c.created_ms = q.int64(5);
  c.updated_ms = q.int64(6);
  return c;
}

std::string or_empty_object(const std::string& json) {
  return json.empty() ? "{}" : json;
}

} // namespace

caf::expected<lineage_direction> parse_direction(const std::string& text) {
  if (text == "up" || text == "upstream")
    return lineage_direction::upstream;
  if (text == "down" || text == "downstream")
    return lineage_direction::downstream;
  if (text == "both")
    return lineage_direction::both;
  return caf::make_error(metadata_errc::invalid_record,
                         "lineage direction must be up, down or both, not '" + text + "'");
}

// -- opening ----------------------------------------------------------------------------------

caf::expected<std::unique_ptr<metadata_store>> metadata_store::open(const metadata_options& options,
                                                                    int64_t now_ms) {
  return open_impl(options, current_schema_version, now_ms);
}

caf::expected<std::unique_ptr<metadata_store>>
metadata_store::open_at_version(const metadata_options& options, int schema_version,
                                int64_t now_ms) {
  return open_impl(options, schema_version, now_ms);
}

caf::expected<std::unique_ptr<metadata_store>>
metadata_store::open_impl(const metadata_options& options, int schema_version, int64_t now_ms) {
  static std::once_flag names_once;
  std::call_once(names_once, register_metadata_error_names);
  const auto& path = options.path;
  if (path.empty())
    return caf::make_error(metadata_errc::open_failed, "no metadata database path given");
  sqlite3* db = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  auto rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto err = detail::sqlite_error(db, rc, path, "opening the metadata database");
    sqlite3_close(db);
    return err;
  }
  std::unique_ptr<metadata_store> store{new metadata_store(db, path)};
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_extended_result_codes(db, 0);
  std::string setup = "PRAGMA foreign_keys=ON;";
  if (!options.read_only) {
    setup += "PRAGMA journal_mode=WAL;";
    setup +=
        options.synchronous == "normal" ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;";
  }
  if (auto err = detail::exec(db, path, setup))
    return err;
  // Reading the schema touches the first pages: a file that is not a database fails here.
  auto version = read_schema_version(db, path);
  if (!version)
    return std::move(version.error());
  if (auto err = check_not_newer(*version, path))
    return err;
  if (options.read_only) {
    if (*version < current_schema_version)
      return caf::make_error(metadata_errc::open_failed,
                             path + ": schema version " + std::to_string(*version) +
                                 " needs a migration; open it once for writing");
    return store;
  }
  if (auto err = migrate(db, path, schema_version, now_ms))
    return err;
  return store;
}

metadata_store::~metadata_store() {
  if (batch_open_)
    rollback_batch();
  sqlite3_close(db_);
}

caf::expected<int> metadata_store::schema_version() {
  return read_schema_version(db_, path_);
}

// -- transactions -----------------------------------------------------------------------------

caf::error metadata_store::begin_batch() {
  if (batch_open_)
    return caf::make_error(metadata_errc::sql_error, path_ + ": a batch is already open");
  if (auto err = detail::exec(db_, path_, "BEGIN IMMEDIATE"))
    return err;
  batch_open_ = true;
  return {};
}

caf::error metadata_store::commit_batch() {
  if (!batch_open_)
    return caf::make_error(metadata_errc::sql_error, path_ + ": no batch is open");
  auto err = detail::exec(db_, path_, "COMMIT");
  if (err) {
    detail::exec(db_, path_, "ROLLBACK");
  }
  batch_open_ = false;
  return err;
}

void metadata_store::rollback_batch() {
  if (batch_open_)
    detail::exec(db_, path_, "ROLLBACK");
  batch_open_ = false;
}

caf::error metadata_store::atomically(const std::function<caf::error()>& body) {
  if (batch_open_) {
    auto name = "sp" + std::to_string(++savepoints_);
    if (auto err = detail::exec(db_, path_, "SAVEPOINT " + name))
      return err;
    auto err = body();
    if (err)
      detail::exec(db_, path_, "ROLLBACK TO " + name);
    detail::exec(db_, path_, "RELEASE " + name);
    return err;
  }
  if (auto err = detail::exec(db_, path_, "BEGIN IMMEDIATE"))
    return err;
  if (auto err = body()) {
    detail::exec(db_, path_, "ROLLBACK");
    return err;
  }
  if (auto err = detail::exec(db_, path_, "COMMIT")) {
    detail::exec(db_, path_, "ROLLBACK");
    return err;
  }
  return {};
}

// -- writes -----------------------------------------------------------------------------------

caf::expected<int64_t> metadata_store::put_context(const md_context& context, int64_t now_ms) {
  int64_t id = context.id;
  auto err = atomically([&]() -> caf::error {
    if (context.id == 0) {
      if (context.type.empty() || context.name.empty())
        return caf::make_error(metadata_errc::invalid_record, "a context needs a type and a name");
      statement q{db_, path_,
                  "INSERT INTO contexts (type, name, state, properties, created_ms, updated_ms) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"};
      auto created = context.created_ms != 0 ? context.created_ms : now_ms;
      q.bind(1, context.type).bind(2, context.name).bind(3, context.state);
      q.bind(4, or_empty_object(context.properties)).bind(5, created).bind(6, now_ms);
      if (auto err = q.run())
        return err;
      id = sqlite3_last_insert_rowid(db_);
      return {};
    }
    statement q{db_, path_,
                "UPDATE contexts SET state = ?2, properties = ?3, updated_ms = ?4 WHERE id = ?1"};
    q.bind(1, context.id).bind(2, context.state).bind(3, or_empty_object(context.properties));
    q.bind(4, now_ms);
    if (auto err = q.run())
      return err;
    if (sqlite3_changes(db_) == 0)
      return caf::make_error(metadata_errc::not_found,
                             "no context with id " + std::to_string(context.id));
    return {};
  });
  if (err)
    return err;
  return id;
}

caf::expected<int64_t> metadata_store::insert_artifact(const md_artifact& a, int64_t now_ms) {
  if (a.type.empty() || a.uri.empty())
    return caf::make_error(metadata_errc::invalid_record, "an artifact needs a type and a URI");
  statement q{db_, path_,
              "INSERT INTO artifacts (type, uri, digest, properties, created_ms) "
              "VALUES (?1, ?2, ?3, ?4, ?5)"};
  q.bind(1, a.type).bind(2, a.uri).bind(3, a.digest).bind(4, or_empty_object(a.properties));
  q.bind(5, a.created_ms != 0 ? a.created_ms : now_ms);
  if (auto err = q.run())
    return err;
  return sqlite3_last_insert_rowid(db_);
}

caf::expected<md_record_ack> metadata_store::record(const md_execution_record& rec,
                                                    int64_t now_ms) {
  md_record_ack ack;
  auto err = atomically([&]() -> caf::error {
    const auto& x = rec.execution;
    if (x.id == 0) {
      statement q{db_, path_,
                  "INSERT INTO executions (context_id, type, name, state, start_ms, end_ms, "
                  "parameters, outputs, exit_reason, attempt, properties) "
                  "VALUES (nullif(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"};
      q.bind(1, x.context_id).bind(2, x.type).bind(3, x.name).bind(4, x.state);
      q.bind(5, x.start_ms != 0 ? x.start_ms : now_ms).bind(6, x.end_ms);
      q.bind(7, or_empty_object(x.parameters)).bind(8, or_empty_object(x.outputs));
      q.bind(9, x.exit_reason).bind(10, static_cast<int64_t>(x.attempt));
      q.bind(11, or_empty_object(x.properties));
      if (auto err = q.run())
        return err;
      ack.execution_id = sqlite3_last_insert_rowid(db_);
    } else {
      statement q{db_, path_,
                  "UPDATE executions SET state = ?2, end_ms = ?3, outputs = ?4, "
                  "exit_reason = ?5, attempt = ?6, properties = ?7 WHERE id = ?1"};
      q.bind(1, x.id).bind(2, x.state).bind(3, x.end_ms).bind(4, or_empty_object(x.outputs));
      q.bind(5, x.exit_reason).bind(6, static_cast<int64_t>(x.attempt));
      q.bind(7, or_empty_object(x.properties));
      if (auto err = q.run())
        return err;
      if (sqlite3_changes(db_) == 0)
        return caf::make_error(metadata_errc::not_found,
                               "no execution with id " + std::to_string(x.id));
      ack.execution_id = x.id;
    }
    statement event{db_, path_,
                    "INSERT OR IGNORE INTO events (execution_id, artifact_id, kind, name) "
                    "VALUES (?1, ?2, ?3, ?4)"};
    for (const auto& in : rec.inputs) {
      event.reset();
      event.bind(1, ack.execution_id).bind(2, in.artifact_id).bind(3, std::string{"INPUT"});
      event.bind(4, in.name);
      if (auto err = event.run())
        return err;
    }
    for (const auto& out : rec.outputs) {
      int64_t artifact_id = out.artifact.id;
      if (artifact_id == 0) {
        auto id = insert_artifact(out.artifact, now_ms);
        if (!id)
          return std::move(id.error());
        artifact_id = *id;
      }
      event.reset();
      event.bind(1, ack.execution_id).bind(2, artifact_id).bind(3, std::string{"OUTPUT"});
      event.bind(4, out.name);
      if (auto err = event.run())
        return err;
      ack.artifact_ids.push_back(artifact_id);
    }
    return {};
  });
  if (err)
    return err;
  return ack;
}

caf::expected<uint32_t> metadata_store::put_samples(const std::vector<md_sample>& samples) {
  uint32_t stored = 0;
  auto err = atomically([&]() -> caf::error {
    statement q{db_, path_,
                "INSERT INTO samples (execution_id, time_ms, kind, name, value) "
                "VALUES (?1, ?2, ?3, ?4, ?5)"};
    for (const auto& s : samples) {
      q.reset();
      q.bind(1, s.execution_id).bind(2, s.time_ms).bind(3, s.kind).bind(4, s.name);
      q.bind(5, s.value);
      if (auto err = q.run())
        return err;
      ++stored;
    }
    return {};
  });
  if (err)
    return err;
  return stored;
}

caf::error metadata_store::memo_put(const md_memo_entry& e) {
  return atomically([&]() -> caf::error {
    statement del{db_, path_, "DELETE FROM memo_entries WHERE key = ?1"};
    del.bind(1, e.key);
    if (auto err = del.run())
      return err;
    statement q{
        db_, path_,
        "INSERT INTO memo_entries (key, step_type, execution_id, outputs, content_token, "
        "created_ms, last_hit_ms, hits) VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, ?8)"};
    q.bind(1, e.key).bind(2, e.step_type).bind(3, e.execution_id);
    q.bind(4, or_empty_object(e.outputs)).bind(5, e.content_token).bind(6, e.created_ms);
    q.bind(7, e.last_hit_ms != 0 ? e.last_hit_ms : e.created_ms).bind(8, e.hits);
    if (auto err = q.run())
      return err;
    for (const auto& out : e.artifacts) {
      statement a{db_, path_,
                  "INSERT INTO memo_artifacts (key, name, artifact_id) VALUES (?1, ?2, ?3)"};
      a.bind(1, e.key).bind(2, out.name).bind(3, out.artifact.id);
      if (auto err = a.run())
        return err;
    }
    return {};
  });
}

caf::error metadata_store::memo_hit(const std::string& key, int64_t now_ms) {
  return atomically([&]() -> caf::error {
    statement q{db_, path_,
                "UPDATE memo_entries SET last_hit_ms = max(last_hit_ms, ?2), hits = hits + 1 "
                "WHERE key = ?1"};
    q.bind(1, key).bind(2, now_ms);
    if (auto err = q.run())
      return err;
    if (sqlite3_changes(db_) == 0)
      return caf::make_error(metadata_errc::not_found, "no memo entry " + key);
    return {};
  });
}

caf::error metadata_store::memo_delete(const std::string& key) {
  return atomically([&]() -> caf::error {
    statement q{db_, path_, "DELETE FROM memo_entries WHERE key = ?1"};
    q.bind(1, key);
    return q.run();
  });
}

caf::expected<md_gc_result> metadata_store::memo_gc(int64_t cutoff_ms) {
  md_gc_result result;
  auto err = atomically([&]() -> caf::error {
    std::set<int64_t> candidates;
    {
      statement q{db_, path_,
                  "SELECT e.key, coalesce(a.artifact_id, 0) FROM memo_entries e "
                  "LEFT JOIN memo_artifacts a ON a.key = e.key WHERE e.last_hit_ms < ?1 "
                  "ORDER BY e.key"};
      q.bind(1, cutoff_ms);
      auto rows = detail::each_row(q, [&]() -> caf::error {
        auto key = q.text(0);
        if (result.keys.empty() || result.keys.back() != key)
          result.keys.push_back(key);
        if (auto id = q.int64(1); id != 0)
          candidates.insert(id);
        return {};
      });
      if (rows)
        return rows;
    }
    {
      statement q{db_, path_, "DELETE FROM memo_entries WHERE last_hit_ms < ?1"};
      q.bind(1, cutoff_ms);
      if (auto err = q.run())
        return err;
    }
    for (auto id : candidates) {
      statement still{db_, path_, "SELECT count(*) FROM memo_artifacts WHERE artifact_id = ?1"};
      still.bind(1, id);
      auto row = still.step();
      if (!row)
        return std::move(row.error());
      if (still.int64(0) != 0)
        continue;
      auto a = artifact(id);
      if (!a)
        return std::move(a.error());
      result.orphan_uris.push_back(a->uri);
    }
    return {};
  });
  if (err)
    return err;
  return result;
}

// -- queries ----------------------------------------------------------------------------------

caf::expected<md_context> metadata_store::get_context(const std::string& type,
                                                      const std::string& name) {
  statement q{
      db_, path_,
      (std::string{"SELECT "} + context_columns + " FROM contexts WHERE type = ?1 AND name = ?2")
          .c_str()};
  q.bind(1, type).bind(2, name);
  auto row = q.step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return caf::make_error(metadata_errc::not_found, "no " + type + " named '" + name + "'");
  return read_context(q);
}

caf::expected<std::vector<md_run_summary>> metadata_store::list_runs() {
  std::vector<md_run_summary> runs;
  statement q{db_, path_,
              "SELECT c.id, c.type, c.name, c.state, c.properties, c.created_ms, c.updated_ms, "
              "count(x.id), sum(x.state = 'complete'), sum(x.state = 'memoized'), "
              "sum(x.state = 'failed') FROM contexts c LEFT JOIN executions x "
              "ON x.context_id = c.id WHERE c.type = 'pipeline_run' GROUP BY c.id "
              "ORDER BY c.created_ms DESC, c.id DESC"};
  auto rows = detail::each_row(q, [&]() -> caf::error {
    md_run_summary s;
    s.context = read_context(q);
    s.executions = static_cast<uint32_t>(q.int64(7));
    s.complete = static_cast<uint32_t>(q.int64(8));
    s.memoized = static_cast<uint32_t>(q.int64(9));
    s.failed = static_cast<uint32_t>(q.int64(10));
    runs.push_back(std::move(s));
    return {};
  });
  if (rows)
    return rows;
  return runs;
}

caf::expected<md_run_detail> metadata_store::show_run(const std::string& name) {
  md_run_detail detail;
  auto context = get_context("pipeline_run", name);
  if (!context)
    return std::move(context.error());
  detail.context = std::move(*context);
  {
    statement q{db_, path_,
                (std::string{"SELECT "} + execution_columns +
                 ", (SELECT count(*) FROM samples s WHERE s.execution_id = executions.id) "
                 "FROM executions WHERE context_id = ?1 ORDER BY id")
                    .c_str()};
    q.bind(1, detail.context.id);
    auto rows = detail::each_row(q, [&]() -> caf::error {
      detail.executions.push_back(read_execution(q));
      detail.sample_counts.push_back(q.int64(12));
      return {};
    });
    if (rows)
      return rows;
  }
  {
    statement q{db_, path_,
                "SELECT e.execution_id, e.artifact_id, e.kind, e.name FROM events e "
                "JOIN executions x ON x.id = e.execution_id WHERE x.context_id = ?1 "
                "ORDER BY e.execution_id, e.kind, e.name"};
    q.bind(1, detail.context.id);
    std::set<int64_t> artifact_ids;
    auto rows = detail::each_row(q, [&]() -> caf::error {
      detail.events.push_back(md_event{q.int64(0), q.int64(1), q.text(2), q.text(3)});
      artifact_ids.insert(q.int64(1));
      return {};
    });
    if (rows)
      return rows;
    for (auto id : artifact_ids) {
      auto a = artifact(id);
      if (!a)
        return std::move(a.error());
      detail.artifacts.push_back(std::move(*a));
    }
  }
  return detail;
}

caf::expected<std::vector<md_sample>> metadata_store::samples(int64_t execution_id) {
  std::vector<md_sample> result;
  statement q{db_, path_,
              "SELECT execution_id, time_ms, kind, name, value FROM samples "
              "WHERE execution_id = ?1 ORDER BY time_ms, rowid"};
  q.bind(1, execution_id);
  auto rows = detail::each_row(q, [&]() -> caf::error {
    result.push_back(md_sample{q.int64(0), q.int64(1), q.text(2), q.text(3), q.real(4)});
    return {};
  });
  if (rows)
    return rows;
  return result;
}

caf::expected<md_artifact> metadata_store::artifact(int64_t id) {
  statement q{
      db_, path_,
      (std::string{"SELECT "} + artifact_columns + " FROM artifacts WHERE id = ?1").c_str()};
  q.bind(1, id);
  auto row = q.step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return caf::make_error(metadata_errc::not_found, "no artifact with id " + std::to_string(id));
  return read_artifact(q);
}

caf::expected<md_execution> metadata_store::execution(int64_t id) {
  statement q{
      db_, path_,
      (std::string{"SELECT "} + execution_columns + " FROM executions WHERE id = ?1").c_str()};
  q.bind(1, id);
  auto row = q.step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return caf::make_error(metadata_errc::not_found, "no execution with id " + std::to_string(id));
  return read_execution(q);
}

caf::expected<md_artifact> metadata_store::find_artifact(const std::string& id_or_uri) {
  if (!id_or_uri.empty() &&
      std::all_of(id_or_uri.begin(), id_or_uri.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return artifact(std::stoll(id_or_uri));
  statement q{db_, path_,
              (std::string{"SELECT "} + artifact_columns +
               " FROM artifacts WHERE uri = ?1 ORDER BY id DESC LIMIT 1")
                  .c_str()};
  q.bind(1, id_or_uri);
  auto row = q.step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return caf::make_error(metadata_errc::not_found, "no artifact with URI '" + id_or_uri + "'");
  return read_artifact(q);
}

caf::expected<md_lineage> metadata_store::lineage(int64_t artifact_id,
                                                  lineage_direction direction) {
  md_lineage result;
  auto root = artifact(artifact_id);
  if (!root)
    return std::move(root.error());
  result.root = std::move(*root);
  std::set<int64_t> seen_artifacts{artifact_id};
  std::set<int64_t> seen_executions;
  std::set<std::tuple<int64_t, int64_t, std::string, std::string>> seen_events;
  // Walks one direction: from an artifact to the executions that wrote (up) or read (down)
  // it, then to the artifacts those executions read (up) or wrote (down).
  auto walk = [&](bool upstream) -> caf::error {
    const char* to_exec = upstream ? "OUTPUT" : "INPUT";
    const char* to_art = upstream ? "INPUT" : "OUTPUT";
    std::deque<int64_t> frontier{artifact_id};
    std::set<int64_t> visited{artifact_id};
    while (!frontier.empty()) {
      auto current = frontier.front();
      frontier.pop_front();
      std::vector<int64_t> executions;
      {
        statement q{db_, path_,
                    "SELECT execution_id, name FROM events WHERE artifact_id = ?1 AND kind = ?2"};
        q.bind(1, current).bind(2, std::string{to_exec});
        auto rows = detail::each_row(q, [&]() -> caf::error {
          executions.push_back(q.int64(0));
          if (seen_events.emplace(q.int64(0), current, to_exec, q.text(1)).second)
            result.events.push_back(md_event{q.int64(0), current, to_exec, q.text(1)});
          return {};
        });
        if (rows)
          return rows;
      }
      for (auto exec_id : executions) {
        if (seen_executions.insert(exec_id).second) {
          auto x = execution(exec_id);
          if (!x)
            return std::move(x.error());
          result.executions.push_back(std::move(*x));
        }
        statement q{db_, path_,
                    "SELECT artifact_id, name FROM events WHERE execution_id = ?1 AND kind = ?2"};
        q.bind(1, exec_id).bind(2, std::string{to_art});
        auto rows = detail::each_row(q, [&]() -> caf::error {
          auto next = q.int64(0);
          if (seen_events.emplace(exec_id, next, to_art, q.text(1)).second)
            result.events.push_back(md_event{exec_id, next, to_art, q.text(1)});
          if (visited.insert(next).second)
            frontier.push_back(next);
          if (seen_artifacts.insert(next).second) {
            auto a = artifact(next);
            if (!a)
              return std::move(a.error());
            result.artifacts.push_back(std::move(*a));
          }
          return {};
        });
        if (rows)
          return rows;
      }
    }
    return {};
  };
  if (direction != lineage_direction::downstream)
    if (auto err = walk(true))
      return err;
  if (direction != lineage_direction::upstream)
    if (auto err = walk(false))
      return err;
  return result;
}

caf::expected<md_memo_lookup> metadata_store::memo_get(const std::string& key) {
  md_memo_lookup result;
  statement q{db_, path_,
              "SELECT key, step_type, coalesce(execution_id, 0), outputs, content_token, "
              "created_ms, last_hit_ms, hits FROM memo_entries WHERE key = ?1"};
  q.bind(1, key);
  auto row = q.step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return result;
  result.found = true;
  auto& e = result.entry;
  e.key = q.text(0);
  e.step_type = q.text(1);
  e.execution_id = q.int64(2);
  e.outputs = q.text(3);
  e.content_token = q.text(4);
  e.created_ms = q.int64(5);
  e.last_hit_ms = q.int64(6);
  e.hits = q.int64(7);
  statement a{db_, path_,
              "SELECT name, artifact_id FROM memo_artifacts WHERE key = ?1 ORDER BY name"};
  a.bind(1, key);
  auto rows = detail::each_row(a, [&]() -> caf::error {
    auto art = artifact(a.int64(1));
    if (!art)
      return std::move(art.error());
    e.artifacts.push_back(md_output{a.text(0), std::move(*art)});
    return {};
  });
  if (rows)
    return rows;
  return result;
}

caf::expected<std::string> metadata_store::integrity_check() {
  statement q{db_, path_, "PRAGMA integrity_check"};
  std::string result;
  auto rows = detail::each_row(q, [&]() -> caf::error {
    if (!result.empty())
      result += "; ";
    result += q.text(0);
    return {};
  });
  if (rows)
    return rows;
  return result;
}

} // namespace dmlp::metadata
