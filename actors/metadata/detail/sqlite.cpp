#include "actors/metadata/detail/sqlite.hpp"

#include "actors/metadata/metadata_errors.hpp"

namespace dmlp::metadata::detail {

caf::error sqlite_error(sqlite3* db, int rc, const std::string& path, const std::string& what) {
  std::string text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  auto line = path + ": " + what + ": " + text;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return caf::make_error(metadata_errc::locked,
                             line + " (another process holds the database's write lock)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return caf::make_error(metadata_errc::corrupt,
                             line + " (the file is damaged or not a dmlp metadata database)");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return caf::make_error(metadata_errc::open_failed, line);
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return caf::make_error(metadata_errc::io_failure, line);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      return caf::make_error(metadata_errc::invalid_record, line);
    default:
      return caf::make_error(metadata_errc::sql_error, line);
  }
}

caf::error exec(sqlite3* db, const std::string& path, const std::string& sql) {
  char* message = nullptr;
  auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (message != nullptr)
    sqlite3_free(message);
  if (rc != SQLITE_OK)
    return sqlite_error(db, rc, path, "executing SQL");
  return {};
}

statement::statement(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
  auto rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK)
    error_ = sqlite_error(db, rc, path, "preparing a query");
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

statement& statement::bind(int i, int64_t value) {
  if (stmt_ != nullptr)
    sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

statement& statement::bind(int i, double value) {
  if (stmt_ != nullptr)
    sqlite3_bind_double(stmt_, i, value);
  return *this;
}

statement& statement::bind(int i, const std::string& value) {
  if (stmt_ != nullptr)
    sqlite3_bind_text(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

caf::expected<bool> statement::step() {
  if (error_)
    return error_;
  auto rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return sqlite_error(db_, rc, path_, "running a query");
}

caf::error statement::run() {
  for (;;) {
    auto more = step();
    if (!more)
      return std::move(more.error());
    if (!*more)
      return {};
  }
}

void statement::reset() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

int64_t statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double statement::real(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string statement::text(int col) const {
  auto data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (data == nullptr)
    return {};
  return std::string{data, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

} // namespace dmlp::metadata::detail
