// The baseline that the training benchmarks compare dmlp with: the book's recipe as a plain
// libtorch loop in one process — a model from the registry (actors/models), Adam at 1e-3,
// batches of 64 taken in order from the training split held in memory — with no actors and no
// messages. The split is read by the ingest dataset loader exactly as run_training() reads it.
// Torch-free header; not thread-safe (it sets libtorch's process-wide thread count).
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace dmlp::bench {

/// Loads the default Fashion-MNIST training split and trains `model` on its first `samples`
/// samples (one pass, all of them when fewer) with `threads` intra-op threads. Returns the
/// images per second of the loop itself (loading not timed); errors of the loader or the
/// registry as they come.
caf::expected<double> plain_training_loop(const std::string& model, uint64_t samples, int threads);

} // namespace dmlp::bench
