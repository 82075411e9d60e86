// The ring all-reduce schedule as pure functions (no actors, no torch): how a flat buffer is cut
// into fusion buckets, how a bucket is cut into one chunk per rank, and which chunk a rank sends
// and receives at each hop of the reduce-scatter and all-gather phases. The trainer actor
// (trainer.cpp) follows it; tests/unit/training checks it against a simulated ring.
// Summation order: chunk c is summed along the ring starting at rank c (x_c + x_{c+1} + …), by
// one rank at a time, and the finished sum is copied (never re-added) during all-gather, so every
// rank ends with bit-identical bytes. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dmlp::training {

/// A half-open range [begin, end) of a flat buffer.
struct span_range {
  /// First element.
  size_t begin = 0;
  /// One past the last element.
  size_t end = 0;
  /// Number of elements.
  size_t size() const { return end - begin; }
  friend bool operator==(const span_range& a, const span_range& b) {
    return a.begin == b.begin && a.end == b.end;
  }
};

/// Which chunks one rank handles at one hop.
struct ring_hop {
  /// Chunk index sent to the next rank.
  uint32_t send = 0;
  /// Chunk index received from the previous rank.
  uint32_t recv = 0;
};

/// Fusion: groups consecutive tensors (given by element counts) into buckets of at most
/// `bucket_elems` elements; a tensor larger than that is cut into several buckets. The buckets
/// cover [0, sum(sizes)) in order. `bucket_elems` 0 means one bucket.
std::vector<span_range> make_buckets(const std::vector<size_t>& sizes, size_t bucket_elems);

/// Chunk `c` of `ranks` nearly equal chunks of a bucket of `length` elements (the first
/// `length % ranks` chunks are one element longer). Chunks cover the bucket in order.
span_range chunk_range(size_t length, uint32_t ranks, uint32_t c);

/// Reduce-scatter hop `hop` (0 … ranks-2) of `rank`: send chunk (rank − hop) mod n, receive
/// chunk (rank − hop − 1) mod n and add it to the local copy.
ring_hop reduce_scatter_hop(uint32_t rank, uint32_t ranks, uint32_t hop);

/// All-gather hop `hop` (0 … ranks-2) of `rank`: send chunk (rank + 1 − hop) mod n, receive
/// chunk (rank − hop) mod n and overwrite the local copy.
ring_hop all_gather_hop(uint32_t rank, uint32_t ranks, uint32_t hop);

/// The chunk `rank` holds fully reduced after reduce-scatter: (rank + 1) mod n.
uint32_t owned_chunk(uint32_t rank, uint32_t ranks);

/// Bytes one rank sends per all-reduce of `bytes`: 2 (n − 1) / n × bytes. The bus bandwidth of
/// an all-reduce taking `seconds` is this divided by `seconds`.
double ring_bytes_per_rank(double bytes, uint32_t ranks);

} // namespace dmlp::training
