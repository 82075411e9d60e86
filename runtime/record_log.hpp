// An append-only file of records, for state that changes too often to rewrite whole (a PS
// shard's updates between its checkpoints). Each record is framed like every dmlp file
// (messages/checked_file.hpp: magic, version, length, CRC-32), so reading stops at the first
// record a crash tore or the disk corrupted and returns the whole ones before it, with what was
// wrong. Appends are plain write() calls without fsync: a killed process loses nothing it
// appended (the kernel holds the bytes), a crashed machine may lose the newest records.
// Thread safety: one owner per record_log; read_records is a pure function of the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/checked_file.hpp"

namespace dmlp::runtime {

/// A record log open for appending.
class record_log {
public:
  /// Opens `path` for appending, creating it when missing; records are framed with `magic` and
  /// `version`.
  static caf::expected<record_log> open(std::string path, file_magic magic, uint32_t version);

  record_log(record_log&& other) noexcept;
  record_log& operator=(record_log&& other) noexcept;
  record_log(const record_log&) = delete;
  record_log& operator=(const record_log&) = delete;
  ~record_log();

  /// Appends one record; runtime_errc::io_failure when the file refuses it.
  caf::error append(const std::vector<uint8_t>& body);

  /// Empties the file.
  caf::error clear();

  /// The file's path.
  const std::string& path() const { return path_; }

private:
  record_log(std::string path, file_magic magic, uint32_t version, int fd);

  std::string path_;
  file_magic magic_;
  uint32_t version_ = 0;
  int fd_ = -1;
};

/// What read_records found.
struct log_records {
  /// The whole records, oldest first.
  std::vector<std::vector<uint8_t>> bodies;
  /// Empty when the file ended after a whole record; else why the rest was not read (a torn
  /// or corrupt record, a wrong magic or version).
  std::string damage;
};

/// The records of `path`, none when it does not exist; runtime_errc::io_failure when it exists
/// but cannot be read.
caf::expected<log_records> read_records(const std::string& path, const file_magic& magic,
                                        uint32_t version);

} // namespace dmlp::runtime
