#include "runtime/snapshot_store.hpp"

#include <cctype>
#include <filesystem>

#include "messages/errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::runtime {

caf::expected<uint64_t> memory_snapshot_store::save(const std::string& key,
                                                    std::vector<uint8_t> payload) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& record = records_[key];
  record.key = key;
  record.sequence += 1;
  record.payload = std::move(payload);
  return record.sequence;
}

caf::expected<std::optional<snapshot_record>> memory_snapshot_store::load(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = records_.find(key);
  if (i == records_.end())
    return std::optional<snapshot_record>{};
  return std::optional<snapshot_record>{i->second};
}

file_snapshot_store::file_snapshot_store(std::string directory) : directory_(std::move(directory)) {
  make_directories(directory_);
}

std::string file_snapshot_store::path_of(const std::string& key) const {
  // Keys are supervision paths; flatten the separators into one file name.
  std::string name;
  for (char c : key)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '.';
  return (std::filesystem::path{directory_} / (name + ".snap")).string();
}

caf::expected<uint64_t> file_snapshot_store::save(const std::string& key,
                                                  std::vector<uint8_t> payload) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& sequence = sequences_[key];
  if (sequence == 0) {
    // Continue the numbering of a snapshot left by an earlier process.
    if (auto bytes = read_file(path_of(key)))
      if (auto old = decode_snapshot_file(*bytes))
        sequence = old->sequence;
  }
  snapshot_record record{key, sequence + 1, std::move(payload)};
  if (auto err = write_file_atomic(path_of(key), encode_snapshot_file(record)))
    return err;
  sequence = record.sequence;
  return sequence;
}

caf::expected<std::optional<snapshot_record>> file_snapshot_store::load(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto path = path_of(key);
  if (!std::filesystem::exists(path))
    return std::optional<snapshot_record>{};
  auto bytes = read_file(path);
  if (!bytes)
    return bytes.error();
  auto record = decode_snapshot_file(*bytes);
  if (!record)
    return caf::error{
        record.error().code(), record.error().category(),
        caf::make_message("snapshot " + path + ": " + dmlp::describe(record.error()))};
  return std::optional<snapshot_record>{std::move(*record)};
}

} // namespace dmlp::runtime
