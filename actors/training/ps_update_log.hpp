// The records of a parameter-server shard's update log (`ps-<i>.ckpt.log`,
// docs/formats/ps-checkpoint.md): what changed the shard's state since its last checkpoint, in
// order — every push it accepted and every member list the job master sent — so that a
// restarted shard replays them onto the checkpoint and resumes where it was killed, not where
// it last checkpointed. A log opens with a base record naming the checkpoint it follows; a log
// whose base is not the checkpoint the shard loaded is stale (a checkpoint was written after
// it) and is ignored. Records are stored through runtime::record_log (framed and checksummed);
// these functions only encode and decode their bodies, checking every length against the bytes
// present. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/checked_file.hpp"
#include "messages/training.hpp"

namespace dmlp::training {

/// What a log record says.
enum class ps_log_kind : uint8_t {
  /// The log follows the checkpoint of (index, version).
  base = 0,
  /// A push the shard accepted.
  push = 1,
  /// A member list the shard received.
  members = 2,
};

/// One decoded record.
struct ps_log_record {
  /// Which fields below hold it.
  ps_log_kind kind = ps_log_kind::base;
  /// base: the shard index.
  uint32_t index = 0;
  /// base: the checkpoint's version (applied updates).
  uint64_t version = 0;
  /// push: the push as it arrived.
  ps_push push;
  /// members: the trainers.
  std::vector<std::string> members;
};

/// Magic and format version of the records' frames.
file_magic ps_update_log_magic();
constexpr uint32_t ps_update_log_version = 1;

/// The update log that belongs to `checkpoint_file`.
std::string ps_update_log_path(const std::string& checkpoint_file);

/// Record bodies.
std::vector<uint8_t> encode_log_base(uint32_t index, uint64_t version);
std::vector<uint8_t> encode_log_push(const ps_push& push);
std::vector<uint8_t> encode_log_members(const std::vector<std::string>& trainers);

/// Decodes a record body; training_errc::bad_checkpoint when it is no record.
caf::expected<ps_log_record> decode_log_record(const std::vector<uint8_t>& body);

} // namespace dmlp::training
