// The metadata database's schema and its explicit migrations. Version N of the schema is
// migration 1..N applied in order, each in its own transaction together with the row that
// records it in `schema_version`, so a failed migration leaves the file at its previous
// version. docs/metadata.md lists every version. Not thread-safe (one connection).
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <sqlite3.h>

namespace dmlp::metadata {

/// The schema version this build writes and reads.
constexpr int current_schema_version = 3;

/// The version recorded in `db` (0 for an empty file).
caf::expected<int> read_schema_version(sqlite3* db, const std::string& path);

/// metadata_errc::schema_too_new when `version` is newer than this build.
caf::error check_not_newer(int version, const std::string& path);

/// Applies the migrations after the recorded version up to `target` (≤ current).
/// A file newer than this build is metadata_errc::schema_too_new.
caf::error migrate(sqlite3* db, const std::string& path, int target, int64_t now_ms);

} // namespace dmlp::metadata
