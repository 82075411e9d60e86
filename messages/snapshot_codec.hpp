// Disk format of a supervised child's snapshot (snapshot.capnp inside a checked_file frame with
// magic "DMLPSNAP"). Used by runtime's file snapshot store; specified in docs/formats.md.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dmlp {

/// One saved state of one child.
struct snapshot_record {
  /// The child's key, usually its supervision path ("demo/ledger").
  std::string key;
  /// Increases with every save of the same key; lets a reader tell newer from older.
  uint64_t sequence = 0;
  /// Role-defined state bytes.
  std::vector<uint8_t> payload;
};

/// Version of the snapshot format this build writes and reads.
constexpr uint32_t snapshot_format_version = 1;

/// Returns the complete file content for `record`.
std::vector<uint8_t> encode_snapshot_file(const snapshot_record& record);

/// Parses and verifies a snapshot file's content.
caf::expected<snapshot_record> decode_snapshot_file(const std::vector<uint8_t>& file);

} // namespace dmlp
