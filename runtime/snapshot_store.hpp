// Where a supervised child's state comes back from after a restart (the state-recovery hook).
// A child spec names a store; the supervisor loads the newest snapshot under the child's key
// and hands it to the start factory, and the child saves its state through the same store as
// it goes. Two stores ship: memory (survives actor restarts, not the process) and file (survives
// the process: checked Cap'n Proto files written by temp file + rename). Implementations are
// thread-safe: a child and its supervisor may use one store from different threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/snapshot_codec.hpp"

namespace dmlp::runtime {

/// Interface of a snapshot store.
class snapshot_store {
public:
  virtual ~snapshot_store() = default;

  /// Saves `payload` as the newest state of `key`; returns the record's sequence number.
  virtual caf::expected<uint64_t> save(const std::string& key, std::vector<uint8_t> payload) = 0;

  /// Loads the newest state of `key`; an empty optional when none was ever saved. A corrupt
  /// record is an error (codec_errc), never a half-read value.
  virtual caf::expected<std::optional<snapshot_record>> load(const std::string& key) = 0;
};

/// Keeps snapshots in process memory.
class memory_snapshot_store : public snapshot_store {
public:
  caf::expected<uint64_t> save(const std::string& key, std::vector<uint8_t> payload) override;
  caf::expected<std::optional<snapshot_record>> load(const std::string& key) override;

private:
  std::mutex mtx_;
  std::map<std::string, snapshot_record> records_;
};

/// Keeps one checked file per key under a directory. A save writes a temp file, fsyncs it and
/// renames it over the old one, so a crash leaves either the old or the new snapshot.
class file_snapshot_store : public snapshot_store {
public:
  /// Creates `directory` if needed.
  explicit file_snapshot_store(std::string directory);

  caf::expected<uint64_t> save(const std::string& key, std::vector<uint8_t> payload) override;
  caf::expected<std::optional<snapshot_record>> load(const std::string& key) override;

  /// The file that holds `key`'s snapshot.
  std::string path_of(const std::string& key) const;

private:
  std::string directory_;
  std::mutex mtx_;
  std::map<std::string, uint64_t> sequences_;
};

} // namespace dmlp::runtime
