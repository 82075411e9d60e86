// The Cap'n Proto side of epoch_ledger: encode() and decode() (EpochLedger in
// messages/ingest_cache.capnp inside a checked_file frame with magic "DMLPLEDG").
#include <capnp/message.h>
#include <capnp/serialize.h>

#include "actors/ingest/detail/capnp_body.hpp"
#include "actors/ingest/epoch_ledger.hpp"
#include "ingest_cache.capnp.h"
#include "messages/checked_file.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

namespace {

const file_magic ledger_magic = make_magic("DMLPLEDG");

constexpr uint32_t ledger_format_version = 1;

template <class List, class Range> void fill(List list, const Range& range) {
  unsigned i = 0;
  for (auto value : range)
    list.set(i++, value);
}

} // namespace

std::vector<uint8_t> epoch_ledger::encode() const {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<EpochLedger>();
  root.setSamples(options_.samples);
  root.setBatchSize(options_.batch_size);
  root.setSeed(options_.seed);
  root.setShuffle(options_.shuffle);
  root.setShardMode(static_cast<uint8_t>(options_.mode));
  root.setMaxEpochs(options_.max_epochs);
  root.setEpoch(epoch_);
  root.setFinished(finished_);
  root.setTotalAcked(total_acked_);
  auto done = root.initDone(static_cast<unsigned>((done_.size() + 7) / 8));
  for (size_t i = 0; i < done.size(); ++i)
    done[i] = 0;
  for (size_t b = 0; b < done_.size(); ++b)
    if (done_[b])
      done[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
  auto members = root.initMembers(static_cast<unsigned>(members_.size()));
  for (unsigned i = 0; i < members_.size(); ++i) {
    auto& m = members_[i];
    members[i].setTrainer(m.id);
    fill(members[i].initQueued(static_cast<unsigned>(m.queued.size())), m.queued);
    fill(members[i].initIssued(static_cast<unsigned>(m.issued.size())), m.issued);
    members[i].setWindow(m.flow.window());
    members[i].setCredits(m.flow.credits());
  }
  fill(root.initUnassigned(static_cast<unsigned>(unassigned_.size())), unassigned_);
  return frame_checked(ledger_magic, ledger_format_version, detail::flatten(message));
}

caf::expected<epoch_ledger> epoch_ledger::decode(const std::vector<uint8_t>& bytes) {
  auto body = unframe_checked(ledger_magic, ledger_format_version, bytes, uint64_t{1} << 30);
  if (!body)
    return caf::make_error(ingest_errc::ledger_corrupt, describe(body.error()));
  epoch_ledger ledger;
  auto parsed = detail::read_body(*body, [&](capnp::MessageReader& reader) -> caf::error {
    auto root = reader.getRoot<EpochLedger>();
    ledger_options options;
    options.samples = root.getSamples();
    options.batch_size = root.getBatchSize();
    options.seed = root.getSeed();
    options.shuffle = root.getShuffle();
    if (root.getShardMode() > 1)
      return caf::make_error(ingest_errc::ledger_corrupt, "unknown shard mode");
    options.mode = static_cast<shard_mode>(root.getShardMode());
    options.max_epochs = root.getMaxEpochs();
    auto created = create(options);
    if (!created)
      return caf::make_error(ingest_errc::ledger_corrupt, describe(created.error()));
    ledger = std::move(*created);
    ledger.epoch_ = root.getEpoch();
    ledger.finished_ = root.getFinished();
    ledger.total_acked_ = root.getTotalAcked();
    if (ledger.options_.shuffle)
      ledger.order_ = epoch_permutation(options.samples, options.seed, ledger.epoch_);
    auto done = root.getDone();
    auto batches = ledger.batches_per_epoch();
    if (done.size() != (batches + 7) / 8)
      return caf::make_error(ingest_errc::ledger_corrupt, "done bitmap has the wrong length");
    ledger.acked_ = 0;
    for (uint64_t b = 0; b < batches; ++b) {
      ledger.done_[b] = (done[b / 8] >> (b % 8)) & 1;
      ledger.acked_ += ledger.done_[b] ? 1 : 0;
    }
    ledger.unassigned_.clear();
    for (auto batch : root.getUnassigned())
      ledger.unassigned_.push_back(batch);
    for (auto m : root.getMembers()) {
      member out{m.getTrainer(), {}, {}, credit_window{m.getWindow(), m.getCredits()}};
      for (auto batch : m.getQueued())
        out.queued.push_back(batch);
      for (auto batch : m.getIssued())
        out.issued.insert(batch);
      if (out.issued.size() != m.getIssued().size())
        return caf::make_error(ingest_errc::ledger_corrupt, "a batch is issued twice");
      ledger.members_.push_back(std::move(out));
    }
    return ledger.check();
  });
  if (parsed)
    return parsed.category() == caf::atom("ingest")
               ? parsed
               : caf::make_error(ingest_errc::ledger_corrupt, describe(parsed));
  return ledger;
}

} // namespace dmlp::ingest
