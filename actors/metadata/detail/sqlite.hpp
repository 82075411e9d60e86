// Thin RAII wrappers over the SQLite C API used by metadata_store: a prepared statement with
// typed binds and column reads, and the mapping of SQLite result codes to metadata_errc with
// a readable line ("metadata.locked: /path/metadata.db: database is locked"). Internal to
// actors/metadata. Not thread-safe: one connection, one thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <sqlite3.h>

namespace dmlp::metadata::detail {

/// Maps an SQLite result code of `db` to a metadata error naming `path` and `what`.
caf::error sqlite_error(sqlite3* db, int rc, const std::string& path, const std::string& what);

/// Runs SQL text without results (may hold several statements).
caf::error exec(sqlite3* db, const std::string& path, const std::string& sql);

/// A prepared statement; reset between uses by its owner.
class statement {
public:
  statement(sqlite3* db, const std::string& path, const char* sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  /// The error of preparing, if any.
  const caf::error& prepare_error() const { return error_; }

  /// Binds parameter `i` (1-based).
  statement& bind(int i, int64_t value);
  statement& bind(int i, double value);
  statement& bind(int i, const std::string& value);

  /// Steps once: true when a row is available, false when done; an error otherwise.
  caf::expected<bool> step();

  /// Steps to completion, ignoring rows.
  caf::error run();

  /// Makes the statement runnable again with new binds.
  void reset();

  /// Column readers of the current row (0-based).
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;

private:
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* stmt_ = nullptr;
  caf::error error_;
};

/// Steps `q` through its rows and calls `on_row()` (returning caf::error) for each; stops at
/// the first error.
template <class F> caf::error each_row(statement& q, F&& on_row) {
  for (;;) {
    auto more = q.step();
    if (!more)
      return std::move(more.error());
    if (!*more)
      return {};
    if (auto err = on_row())
      return err;
  }
}

} // namespace dmlp::metadata::detail
