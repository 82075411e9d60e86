#include "apps/jobs/job_state_dir.hpp"

#include <filesystem>

#include "actors/ingest/epoch_ledger.hpp"
#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/ps_shard.hpp"
#include "messages/errors.hpp"
#include "runtime/storage.hpp"

namespace fs = std::filesystem;

namespace dmlp::training {

namespace {

caf::error refuse(const std::string& file, const std::string& why) {
  return caf::make_error(training_errc::bad_checkpoint,
                         file + ": " + why + " (the state directory is left as it is)");
}

} // namespace

job_state_dir::job_state_dir(std::string directory, std::string master_key, std::string ledger_key,
                             std::vector<size_t> shard_sizes)
    : directory_(std::move(directory)), master_key_(std::move(master_key)),
      ledger_key_(std::move(ledger_key)), shard_sizes_(std::move(shard_sizes)), store_(directory_) {
}

caf::expected<std::optional<stopped_job>> job_state_dir::load(const std::string& fingerprint) {
  auto master_file = store_.path_of(master_key_);
  auto master = store_.load(master_key_);
  if (!master)
    return refuse(master_file, describe(master.error()));
  if (!*master)
    return std::optional<stopped_job>{};
  stopped_job job;
  auto snap = decode_master_snapshot((*master)->payload);
  if (!snap)
    return refuse(master_file, describe(snap.error()));
  if (snap->fingerprint != fingerprint)
    return refuse(master_file, "the state is of another job (" + snap->fingerprint +
                                   "); this job is " + fingerprint);
  job.master = std::move(*snap);
  job.master_payload = std::move((*master)->payload);
  auto ledger_file = store_.path_of(ledger_key_);
  auto ledger = store_.load(ledger_key_);
  if (!ledger)
    return refuse(ledger_file, describe(ledger.error()));
  if (!*ledger)
    return refuse(ledger_file, "missing (the job master's snapshot is there)");
  if (auto decoded = ingest::epoch_ledger::decode((*ledger)->payload); !decoded)
    return refuse(ledger_file, describe(decoded.error()));
  job.ledger_payload = std::move((*ledger)->payload);
  if (job.master.has_replica) {
    auto replica_file = store_.path_of(replica_key(master_key_));
    auto replica = store_.load(replica_key(master_key_));
    if (!replica)
      return refuse(replica_file, describe(replica.error()));
    if (!*replica)
      return refuse(replica_file, "missing (the job master's snapshot names it)");
    if (auto state = decode_state(encoded_bundle{(*replica)->payload}); !state)
      return refuse(replica_file, describe(state.error()));
    job.replica_payload = std::move((*replica)->payload);
  }
  for (uint32_t i = 0; i < shard_sizes_.size(); ++i) {
    auto file = shard_checkpoint(i);
    auto bytes = runtime::read_file(file);
    if (!bytes)
      return refuse(file, describe(bytes.error()));
    auto ckpt = decode_checkpoint(*bytes);
    if (!ckpt)
      return refuse(file, describe(ckpt.error()));
    if (ckpt->index != i || ckpt->values.size() != shard_sizes_[i])
      return refuse(file, "a checkpoint of shard " + std::to_string(ckpt->index) + " with " +
                              std::to_string(ckpt->values.size()) + " values; expected shard " +
                              std::to_string(i) + " with " + std::to_string(shard_sizes_[i]));
  }
  return std::optional<stopped_job>{std::move(job)};
}

caf::error job_state_dir::save(const std::vector<uint8_t>& ledger_payload,
                               const std::optional<std::vector<uint8_t>>& replica_payload,
                               const std::vector<uint8_t>& master_payload) {
  if (auto saved = store_.save(ledger_key_, ledger_payload); !saved)
    return saved.error();
  if (replica_payload)
    if (auto saved = store_.save(replica_key(master_key_), *replica_payload); !saved)
      return saved.error();
  if (auto saved = store_.save(master_key_, master_payload); !saved)
    return saved.error();
  return {};
}

void job_state_dir::consume() {
  std::error_code ec;
  fs::remove(store_.path_of(master_key_), ec);
}

void job_state_dir::clear() {
  std::error_code ec;
  fs::remove(store_.path_of(master_key_), ec);
  fs::remove(store_.path_of(ledger_key_), ec);
  fs::remove(store_.path_of(replica_key(master_key_)), ec);
  for (uint32_t i = 0; i < shard_sizes_.size(); ++i)
    fs::remove(shard_checkpoint(i), ec);
}

std::string job_state_dir::shard_checkpoint(uint32_t index) const {
  return (fs::path{directory_} / ("ps-" + std::to_string(index) + ".ckpt")).string();
}

} // namespace dmlp::training
