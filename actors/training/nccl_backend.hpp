// The NCCL all-reduce backend, behind a torch-free, CUDA-free header. Compiled with NCCL only
// when CMake found CUDA and NCCL (option DMLP_WITH_NCCL, ON only where both exist); otherwise
// every call reports training_errc::nccl_unavailable. At run time without a GPU the probe
// reports that and the job uses the CPU ring over actor messages (trainer.hpp).
// nccl_all_reduce() sums equally long float buffers, one per local GPU rank, in place
// (single-process, one communicator per device, ncclCommInitAll). Thread-safe.
#pragma once

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dmlp::training {

/// Whether this build contains the NCCL backend.
bool nccl_compiled();

/// "NCCL <version>, <n> GPU(s)" when the backend can run here; nccl_unavailable otherwise
/// (not compiled, no CUDA device, driver missing).
caf::expected<std::string> nccl_probe();

/// Sums `buffers` (one per GPU, equal sizes) in place across the local GPUs.
caf::error nccl_all_reduce(std::vector<std::vector<float>>& buffers);

} // namespace dmlp::training
