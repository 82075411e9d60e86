// Credit-based flow control between the ingest coordinator and one consumer, as a plain value:
// the consumer grants credits (one per batch it is ready to take), each batch sent spends one,
// and no more than `window` batches may be outstanding (sent and not yet acknowledged) however
// many credits were granted. So the batches in flight — the memory ingest holds for a consumer
// — never exceed the window, whatever the consumer's speed. Not thread-safe (owned by the
// epoch ledger, inside one actor).
#pragma once

#include <algorithm>
#include <cstdint>

namespace dmlp::ingest {

/// One consumer's credits and window.
class credit_window {
public:
  /// A window of `window` outstanding batches (at least 1) and no credits.
  explicit credit_window(uint32_t window = 4, uint32_t credits = 0)
      : window_(std::max<uint32_t>(window, 1)), credits_(credits) {}

  /// Adds `n` credits; the total is capped at the window, since credits beyond it could never
  /// be spent while the window is full.
  void grant(uint32_t n) { credits_ = std::min<uint64_t>(uint64_t{credits_} + n, window_); }

  /// Whether a batch may be sent while `outstanding` batches are unacknowledged.
  bool can_send(size_t outstanding) const { return credits_ > 0 && outstanding < window_; }

  /// Spends one credit for a batch sent.
  void spend() {
    if (credits_ > 0)
      --credits_;
  }

  /// Credits not yet spent.
  uint32_t credits() const { return credits_; }

  /// Largest number of outstanding batches.
  uint32_t window() const { return window_; }

private:
  uint32_t window_;
  uint32_t credits_;
};

} // namespace dmlp::ingest
