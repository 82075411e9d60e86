#include "actors/ingest/epoch_ledger.hpp"

#include <algorithm>
#include <numeric>

#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

caf::expected<epoch_ledger> epoch_ledger::create(const ledger_options& options) {
  if (options.samples == 0)
    return caf::make_error(ingest_errc::invalid_option, "a ledger needs at least one sample");
  if (options.batch_size == 0)
    return caf::make_error(ingest_errc::invalid_option, "batch size must be positive");
  epoch_ledger ledger;
  ledger.options_ = options;
  ledger.start_epoch();
  return ledger;
}

uint64_t epoch_ledger::batches_per_epoch() const {
  return (options_.samples + options_.batch_size - 1) / options_.batch_size;
}

epoch_ledger::member* epoch_ledger::find(const std::string& trainer) {
  for (auto& m : members_)
    if (m.id == trainer)
      return &m;
  return nullptr;
}

const epoch_ledger::member* epoch_ledger::find(const std::string& trainer) const {
  for (auto& m : members_)
    if (m.id == trainer)
      return &m;
  return nullptr;
}

void epoch_ledger::start_epoch() {
  auto batches = batches_per_epoch();
  done_.assign(batches, false);
  acked_ = 0;
  if (options_.shuffle) {
    order_ = epoch_permutation(options_.samples, options_.seed, epoch_);
  } else {
    order_.resize(options_.samples);
    std::iota(order_.begin(), order_.end(), uint64_t{0});
  }
  for (auto& m : members_)
    m.queued.clear();
  unassigned_.clear();
  for (uint64_t b = 0; b < batches; ++b)
    unassigned_.push_back(b);
  redistribute();
}

void epoch_ledger::redistribute() {
  std::vector<uint64_t> pending(unassigned_.begin(), unassigned_.end());
  for (auto& m : members_)
    pending.insert(pending.end(), m.queued.begin(), m.queued.end());
  std::sort(pending.begin(), pending.end());
  unassigned_.clear();
  for (auto& m : members_)
    m.queued.clear();
  if (members_.empty()) {
    unassigned_.assign(pending.begin(), pending.end());
    return;
  }
  auto parts = index_shard_policy{options_.mode}.split(pending, members_.size());
  for (size_t i = 0; i < members_.size(); ++i)
    members_[i].queued.assign(parts[i].begin(), parts[i].end());
}

caf::error epoch_ledger::join(const std::string& trainer, uint32_t window) {
  if (find(trainer))
    return caf::make_error(ingest_errc::invalid_option,
                           "trainer " + trainer + " is already a member");
  members_.push_back(member{trainer, {}, {}, credit_window{window}});
  if (!finished_)
    redistribute();
  return caf::none;
}

std::vector<uint64_t> epoch_ledger::leave(const std::string& trainer) {
  auto i = std::find_if(members_.begin(), members_.end(),
                        [&](const member& m) { return m.id == trainer; });
  if (i == members_.end())
    return {};
  std::vector<uint64_t> taken_back(i->issued.begin(), i->issued.end());
  unassigned_.insert(unassigned_.end(), i->queued.begin(), i->queued.end());
  unassigned_.insert(unassigned_.end(), taken_back.begin(), taken_back.end());
  members_.erase(i);
  if (!finished_)
    redistribute();
  return taken_back;
}

bool epoch_ledger::has(const std::string& trainer) const {
  return find(trainer) != nullptr;
}

std::vector<std::string> epoch_ledger::members() const {
  std::vector<std::string> out;
  for (auto& m : members_)
    out.push_back(m.id);
  return out;
}

caf::error epoch_ledger::grant(const std::string& trainer, uint32_t credits) {
  auto m = find(trainer);
  if (!m)
    return caf::make_error(ingest_errc::unknown_trainer,
                           "trainer " + trainer + " is not registered");
  m->flow.grant(credits);
  return caf::none;
}

std::optional<batch_ticket> epoch_ledger::issue(const std::string& trainer) {
  auto m = find(trainer);
  if (!m || finished_ || !m->flow.can_send(m->issued.size()))
    return std::nullopt;
  std::optional<uint64_t> batch;
  if (!m->queued.empty()) {
    batch = m->queued.front();
    m->queued.pop_front();
  } else {
    member* victim = nullptr;
    for (auto& other : members_)
      if (!other.queued.empty() && (!victim || other.queued.size() > victim->queued.size()))
        victim = &other;
    if (victim) {
      batch = victim->queued.back();
      victim->queued.pop_back();
    } else if (!unassigned_.empty()) {
      batch = unassigned_.front();
      unassigned_.pop_front();
    }
  }
  if (!batch)
    return std::nullopt;
  m->issued.insert(*batch);
  m->flow.spend();
  return batch_ticket{epoch_, *batch, indices_of(*batch)};
}

caf::expected<ack_result> epoch_ledger::ack(const std::string& trainer, uint64_t epoch,
                                            uint64_t batch) {
  auto m = find(trainer);
  if (!m)
    return caf::make_error(ingest_errc::unknown_trainer,
                           "trainer " + trainer + " is not registered");
  if (epoch < epoch_ || (epoch == epoch_ && batch < done_.size() && done_[batch])) {
    ack_result again;
    again.duplicate = true;
    return again;
  }
  if (epoch != epoch_ || m->issued.count(batch) == 0)
    return caf::make_error(ingest_errc::not_outstanding,
                           "batch " + std::to_string(batch) + " of epoch " + std::to_string(epoch) +
                               " is not outstanding at trainer " + trainer + " (ledger epoch " +
                               std::to_string(epoch_) + ")");
  m->issued.erase(batch);
  done_[batch] = true;
  ++acked_;
  ++total_acked_;
  ack_result result;
  result.samples = indices_of(batch).size();
  if (acked_ == batches_per_epoch()) {
    result.epoch_completed = true;
    ++epoch_;
    if (options_.max_epochs != 0 && epoch_ >= options_.max_epochs) {
      finished_ = true;
      for (auto& other : members_)
        other.queued.clear();
      unassigned_.clear();
    } else {
      start_epoch();
    }
    result.finished = finished_;
  }
  return result;
}

std::vector<batch_ticket> epoch_ledger::outstanding(const std::string& trainer) const {
  std::vector<batch_ticket> out;
  if (auto m = find(trainer))
    for (auto batch : m->issued)
      out.push_back(batch_ticket{epoch_, batch, indices_of(batch)});
  return out;
}

size_t epoch_ledger::outstanding_count(const std::string& trainer) const {
  auto m = find(trainer);
  return m ? m->issued.size() : 0;
}

size_t epoch_ledger::outstanding_total() const {
  size_t total = 0;
  for (auto& m : members_)
    total += m.issued.size();
  return total;
}

uint32_t epoch_ledger::credits(const std::string& trainer) const {
  auto m = find(trainer);
  return m ? m->flow.credits() : 0;
}

std::vector<uint64_t> epoch_ledger::indices_of(uint64_t batch) const {
  auto first = std::min<uint64_t>(batch * options_.batch_size, order_.size());
  auto last = std::min<uint64_t>(first + options_.batch_size, order_.size());
  return std::vector<uint64_t>(order_.begin() + static_cast<std::ptrdiff_t>(first),
                               order_.begin() + static_cast<std::ptrdiff_t>(last));
}

caf::error epoch_ledger::check() const {
  auto batches = batches_per_epoch();
  std::vector<uint8_t> seen(batches, 0);
  uint64_t done = 0;
  auto mark = [&](uint64_t batch, const char* where) -> caf::error {
    if (batch >= batches || seen[batch] != 0)
      return caf::make_error(ingest_errc::ledger_corrupt, "batch " + std::to_string(batch) + " " +
                                                              where +
                                                              " is out of range or in two states");
    seen[batch] = 1;
    return caf::none;
  };
  if (done_.size() != batches)
    return caf::make_error(ingest_errc::ledger_corrupt, "done bitmap has the wrong length");
  for (uint64_t b = 0; b < batches; ++b)
    if (done_[b]) {
      seen[b] = 1;
      ++done;
    }
  if (done != acked_)
    return caf::make_error(ingest_errc::ledger_corrupt, "done count disagrees with the bitmap");
  for (auto batch : unassigned_)
    if (auto err = mark(batch, "unassigned"))
      return err;
  for (auto& m : members_) {
    for (auto batch : m.queued)
      if (auto err = mark(batch, "queued"))
        return err;
    for (auto batch : m.issued)
      if (auto err = mark(batch, "issued"))
        return err;
  }
  if (finished_)
    return caf::none;
  for (uint64_t b = 0; b < batches; ++b)
    if (seen[b] == 0)
      return caf::make_error(ingest_errc::ledger_corrupt,
                             "batch " + std::to_string(b) + " is in no state");
  return caf::none;
}

} // namespace dmlp::ingest
