#include "actors/training/nccl_backend.hpp"

#include "actors/training/errors.hpp"

#ifdef DMLP_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace dmlp::training {

#ifdef DMLP_WITH_NCCL

namespace {

caf::expected<int> device_count() {
  int n = 0;
  auto rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess)
    return caf::make_error(training_errc::nccl_unavailable,
                           std::string{"no CUDA device: "} + cudaGetErrorString(rc));
  if (n == 0)
    return caf::make_error(training_errc::nccl_unavailable, "no CUDA device");
  return n;
}

} // namespace

bool nccl_compiled() {
  return true;
}

caf::expected<std::string> nccl_probe() {
  int version = 0;
  if (ncclGetVersion(&version) != ncclSuccess)
    return caf::make_error(training_errc::nccl_unavailable, "ncclGetVersion failed");
  auto n = device_count();
  if (!n)
    return caf::make_error(training_errc::nccl_unavailable, "NCCL " + std::to_string(version) +
                                                                " linked, but " +
                                                                to_string(n.error()));
  return "NCCL " + std::to_string(version) + ", " + std::to_string(*n) + " GPU(s)";
}

caf::error nccl_all_reduce(std::vector<std::vector<float>>& buffers) {
  auto n = device_count();
  if (!n)
    return n.error();
  auto ranks = static_cast<int>(buffers.size());
  if (ranks == 0 || ranks > *n)
    return caf::make_error(training_errc::nccl_unavailable,
                           std::to_string(ranks) + " ranks, " + std::to_string(*n) + " GPU(s)");
  auto count = buffers.front().size();
  for (auto& b : buffers)
    if (b.size() != count)
      return caf::make_error(training_errc::invalid_option, "buffers differ in size");
  std::vector<ncclComm_t> comms(ranks);
  std::vector<int> devs(ranks);
  for (int i = 0; i < ranks; ++i)
    devs[i] = i;
  if (ncclCommInitAll(comms.data(), ranks, devs.data()) != ncclSuccess)
    return caf::make_error(training_errc::nccl_unavailable, "ncclCommInitAll failed");
  std::vector<float*> dev(ranks, nullptr);
  std::vector<cudaStream_t> streams(ranks);
  caf::error failure;
  for (int i = 0; i < ranks && !failure; ++i) {
    cudaSetDevice(i);
    if (cudaMalloc(reinterpret_cast<void**>(&dev[i]), count * sizeof(float)) != cudaSuccess ||
        cudaStreamCreate(&streams[i]) != cudaSuccess)
      failure = caf::make_error(training_errc::nccl_unavailable, "cudaMalloc failed");
    else
      cudaMemcpy(dev[i], buffers[i].data(), count * sizeof(float), cudaMemcpyHostToDevice);
  }
  if (!failure) {
    ncclGroupStart();
    for (int i = 0; i < ranks; ++i)
      ncclAllReduce(dev[i], dev[i], count, ncclFloat, ncclSum, comms[i], streams[i]);
    if (ncclGroupEnd() != ncclSuccess)
      failure = caf::make_error(training_errc::nccl_unavailable, "ncclAllReduce failed");
  }
  for (int i = 0; i < ranks; ++i) {
    cudaSetDevice(i);
    if (!failure) {
      cudaStreamSynchronize(streams[i]);
      cudaMemcpy(buffers[i].data(), dev[i], count * sizeof(float), cudaMemcpyDeviceToHost);
    }
    if (dev[i])
      cudaFree(dev[i]);
    ncclCommDestroy(comms[i]);
  }
  return failure;
}

#else

bool nccl_compiled() {
  return false;
}

caf::expected<std::string> nccl_probe() {
  return caf::make_error(training_errc::nccl_unavailable, "built without NCCL");
}

caf::error nccl_all_reduce(std::vector<std::vector<float>>&) {
  return caf::make_error(training_errc::nccl_unavailable, "built without NCCL");
}

#endif

} // namespace dmlp::training
