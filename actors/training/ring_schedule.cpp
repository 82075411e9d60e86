#include "actors/training/ring_schedule.hpp"

#include <algorithm>

namespace dmlp::training {

namespace {

uint32_t mod(int64_t x, uint32_t n) {
  auto m = x % static_cast<int64_t>(n);
  return static_cast<uint32_t>(m < 0 ? m + n : m);
}

} // namespace

std::vector<span_range> make_buckets(const std::vector<size_t>& sizes, size_t bucket_elems) {
  std::vector<span_range> out;
  size_t total = 0;
  for (auto s : sizes)
    total += s;
  if (total == 0)
    return out;
  if (bucket_elems == 0)
    return {span_range{0, total}};
  size_t pos = 0;
  span_range cur{0, 0};
  for (auto s : sizes) {
    size_t left = s;
    while (left > 0) {
      if (cur.size() == bucket_elems) {
        out.push_back(cur);
        cur = span_range{pos, pos};
      }
      auto take = std::min(left, bucket_elems - cur.size());
      // A tensor that does not fit the open bucket starts a new one unless it is too large
      // for any bucket (then it is cut).
      if (take < left && cur.size() > 0 && left <= bucket_elems) {
        out.push_back(cur);
        cur = span_range{pos, pos};
        continue;
      }
      cur.end += take;
      pos += take;
      left -= take;
    }
  }
  if (cur.size() > 0)
    out.push_back(cur);
  return out;
}

span_range chunk_range(size_t length, uint32_t ranks, uint32_t c) {
  if (ranks == 0)
    return {0, length};
  size_t base = length / ranks;
  size_t extra = length % ranks;
  size_t begin = c * base + std::min<size_t>(c, extra);
  size_t len = base + (c < extra ? 1 : 0);
  return {begin, begin + len};
}

ring_hop reduce_scatter_hop(uint32_t rank, uint32_t ranks, uint32_t hop) {
  return {mod(int64_t{rank} - hop, ranks), mod(int64_t{rank} - hop - 1, ranks)};
}

ring_hop all_gather_hop(uint32_t rank, uint32_t ranks, uint32_t hop) {
  return {mod(int64_t{rank} + 1 - hop, ranks), mod(int64_t{rank} - hop, ranks)};
}

uint32_t owned_chunk(uint32_t rank, uint32_t ranks) {
  return mod(int64_t{rank} + 1, ranks);
}

double ring_bytes_per_rank(double bytes, uint32_t ranks) {
  if (ranks < 2)
    return 0;
  return 2.0 * (ranks - 1) / ranks * bytes;
}

} // namespace dmlp::training
