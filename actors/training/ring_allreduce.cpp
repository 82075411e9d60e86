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
  auto views = start_in_place(step, rank, ranks, buffer, length);
  if (!views)
    return views.error();
  return encode(std::move(*views));
}

caf::expected<std::vector<ring_chunk_view>>
ring_allreduce::start_in_place(uint64_t step, uint32_t rank, uint32_t ranks, float* buffer,
                               size_t length) {
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
  std::vector<ring_chunk_view> out;
  auto first = reduce_scatter_hop(rank, ranks, 0).send;
  for (uint32_t b = 0; b < buckets_.size(); ++b)
    out.push_back(view_of(b, 0, 0, first));
  auto kept = std::move(pending_);
  pending_.clear();
  for (auto& c : kept) {
    if (c.where.step > step_) {
      pending_.push_back(std::move(c));
    } else if (c.where.step == step_) {
      auto next = fold(c.where, c.values.data(), c.values.size());
      if (!next)
        return next.error();
      out.insert(out.end(), next->begin(), next->end());
    }
  }
  return out;
}

caf::expected<std::vector<train_chunk>> ring_allreduce::receive(train_chunk chunk) {
  ring_chunk_id where{chunk.step, chunk.bucket, chunk.phase, chunk.hop};
  caf::expected<std::vector<ring_chunk_view>> views = std::vector<ring_chunk_view>{};
  auto err = visit_values(chunk.data, 0, [&](const float* values, size_t count) {
    views = receive_values(where, values, count);
  });
  if (err)
    return err;
  if (!views)
    return views.error();
  return encode(std::move(*views));
}

caf::expected<std::vector<ring_chunk_view>>
ring_allreduce::receive_values(const ring_chunk_id& where, const float* values, size_t count) {
  if (running_ && where.step == step_)
    return fold(where, values, count);
  // A chunk of an abandoned or finished step is stale; later steps wait for start().
  if (!started_once_ || where.step > step_)
    pending_.push_back(kept_chunk{where, std::vector<float>(values, values + count)});
  return std::vector<ring_chunk_view>{};
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

ring_chunk_view ring_allreduce::view_of(uint32_t bucket, uint32_t phase, uint32_t hop,
                                        uint32_t chunk) const {
  const auto& b = buckets_[bucket];
  auto r = chunk_range(b.size(), ranks_, chunk);
  return {ring_chunk_id{step_, bucket, phase, hop}, buffer_ + b.begin + r.begin, r.size()};
}

caf::expected<std::vector<train_chunk>>
ring_allreduce::encode(std::vector<ring_chunk_view> views) const {
  std::vector<train_chunk> out;
  out.reserve(views.size());
  for (const auto& v : views) {
    auto bytes = encode_values(v.values, v.count);
    if (!bytes)
      return bytes.error();
    out.push_back(
        train_chunk{v.where.step, v.where.bucket, v.where.phase, v.where.hop, std::move(*bytes)});
  }
  return out;
}

caf::expected<std::vector<ring_chunk_view>>
ring_allreduce::fold(const ring_chunk_id& c, const float* values, size_t count) {
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
  if (count != r.size())
    return caf::make_error(training_errc::bad_bundle, "chunk of " + std::to_string(count) +
                                                          " floats for bucket " +
                                                          std::to_string(c.bucket) + " where " +
                                                          std::to_string(r.size()) + " belong");
  float* dst = buffer_ + b.begin + r.begin;
  if (c.phase == 0)
    add_into(dst, values, count);
  else
    std::copy(values, values + count, dst);
  ++seen;
  std::vector<ring_chunk_view> out;
  if (c.phase == 1 && c.hop + 1 == hops) {
    ++buckets_done_;
    return out;
  }
  out.push_back(c.hop + 1 < hops ? view_of(c.bucket, c.phase, c.hop + 1, hop.recv)
                                 : view_of(c.bucket, 1, 0, owned_chunk(rank_, ranks_)));
  return out;
}

} // namespace dmlp::training
