#include "actors/training/ring_allreduce.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"

namespace dmlp::training {

namespace {

// dst[i] = src[i] + dst[i]. GCC's -O2 cost model leaves the plain loop scalar (unknown trip count,
// pointers that may alias); fixed-size blocks over restrict pointers make it emit packed adds.
// Each element still gets the same single float addition, so every rank's sum keeps its bits.
void add_into(float* __restrict dst, const float* __restrict src, size_t n) {
  constexpr size_t block = 16;
  size_t i = 0;
  for (; i + block <= n; i += block)
    for (size_t j = 0; j < block; ++j)
      dst[i + j] = src[i + j] + dst[i + j];
  for (; i < n; ++i)
    dst[i] = src[i] + dst[i];
}

} // namespace

ring_allreduce::ring_allreduce(size_t bucket_elems) : bucket_elems_(bucket_elems) {}

caf::expected<std::vector<train_chunk>>
ring_allreduce::start(uint64_t step, uint32_t rank, uint32_t ranks, float* buffer, size_t length) {
  if (ranks == 0 || rank >= ranks)
    return caf::make_error(training_errc::invalid_option,
                           "rank " + std::to_string(rank) + " of " + std::to_string(ranks));
  running_ = true;
  started_once_ = true;
  step_ = step;
  rank_ = rank;
  ranks_ = ranks;
  buffer_ = buffer;
  buckets_ = ranks > 1 ? make_buckets({length}, bucket_elems_) : std::vector<span_range>{};
  received_.assign(buckets_.size(), 0);
  buckets_done_ = 0;
  std::vector<train_chunk> out;
  auto first = reduce_scatter_hop(rank, ranks, 0).send;
  for (uint32_t b = 0; b < buckets_.size(); ++b) {
    auto c = make_chunk(b, 0, 0, first);
    if (!c)
      return c.error();
    out.push_back(std::move(*c));
  }
  auto kept = std::move(pending_);
  pending_.clear();
  for (auto& c : kept) {
    if (c.step > step_) {
      pending_.push_back(std::move(c));
    } else if (c.step == step_) {
      auto next = fold(c);
      if (!next)
        return next.error();
      for (auto& n : *next)
        out.push_back(std::move(n));
    }
  }
  return out;
}

caf::expected<std::vector<train_chunk>> ring_allreduce::receive(train_chunk chunk) {
  if (running_ && chunk.step == step_)
    return fold(chunk);
  // A chunk of an abandoned or finished step is stale; later steps wait for start().
  if (!started_once_ || chunk.step > step_)
    pending_.push_back(std::move(chunk));
  return std::vector<train_chunk>{};
}

bool ring_allreduce::done() const {
  return running_ && buckets_done_ == buckets_.size();
}

void ring_allreduce::reset() {
  running_ = false;
  buffer_ = nullptr;
  buckets_.clear();
  received_.clear();
  buckets_done_ = 0;
}

caf::expected<train_chunk> ring_allreduce::make_chunk(uint32_t bucket, uint32_t phase, uint32_t hop,
                                                      uint32_t chunk) const {
  const auto& b = buckets_[bucket];
  auto r = chunk_range(b.size(), ranks_, chunk);
  auto bytes = encode_values(buffer_ + b.begin + r.begin, r.size());
  if (!bytes)
    return bytes.error();
  return train_chunk{step_, bucket, phase, hop, std::move(*bytes)};
}

caf::expected<std::vector<train_chunk>> ring_allreduce::fold(const train_chunk& c) {
  auto hops = ranks_ - 1;
  if (c.bucket >= buckets_.size() || c.phase > 1 || c.hop >= hops)
    return caf::make_error(training_errc::bad_bundle,
                           "chunk for bucket " + std::to_string(c.bucket) + ", phase " +
                               std::to_string(c.phase) + ", hop " + std::to_string(c.hop) +
                               " does not exist in a ring of " + std::to_string(ranks_));
  auto& seen = received_[c.bucket];
  if (c.phase * hops + c.hop != seen)
    return caf::make_error(training_errc::bad_bundle,
                           "chunk for bucket " + std::to_string(c.bucket) + " out of order");
  const auto& b = buckets_[c.bucket];
  auto hop = c.phase == 0 ? reduce_scatter_hop(rank_, ranks_, c.hop)
                          : all_gather_hop(rank_, ranks_, c.hop);
  auto r = chunk_range(b.size(), ranks_, hop.recv);
  float* dst = buffer_ + b.begin + r.begin;
  // An empty chunk (a bucket smaller than the ring) passes visit_values' "any size" check.
  bool fits = true;
  auto err = visit_values(c.data, r.size(), [&](const float* vals, size_t n) {
    fits = n == r.size();
    if (!fits)
      return;
    if (c.phase == 0)
      add_into(dst, vals, n);
    else
      std::copy(vals, vals + n, dst);
  });
  if (err)
    return err;
  if (!fits)
    return caf::make_error(training_errc::bad_bundle, "empty chunk expected");
  ++seen;
  std::vector<train_chunk> out;
  if (c.phase == 1 && c.hop + 1 == hops) {
    ++buckets_done_;
    return out;
  }
  auto next = c.hop + 1 < hops ? make_chunk(c.bucket, c.phase, c.hop + 1, hop.recv)
                               : make_chunk(c.bucket, 1, 0, owned_chunk(rank_, ranks_));
  if (!next)
    return next.error();
  out.push_back(std::move(*next));
  return out;
}

} // namespace dmlp::training
