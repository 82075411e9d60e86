// The Gloo side of bench_allreduce: libtorch's own c10d::ProcessGroupGloo (what PyTorch DDP
// uses on CPU), on a device bound to 127.0.0.1, rendezvous through a c10d FileStore. The only
// file of the benchmark that includes torch.
#include <chrono>
#include <stdexcept>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/torch.h>

#include "allreduce_peers.hpp"

namespace dmlp::bench {

struct gloo_group::impl {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

gloo_group::gloo_group(uint32_t rank, uint32_t ranks, const std::string& store_path)
    : impl_(std::make_unique<impl>()) {
  try {
    auto store = c10::make_intrusive<c10d::FileStore>(store_path, static_cast<int>(ranks));
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(120));
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(rank),
                                                               static_cast<int>(ranks), options);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{"joining the Gloo group: "} + e.what());
  }
}

gloo_group::~gloo_group() = default;

std::vector<double> gloo_group::run(std::vector<float>& buffer, uint32_t iterations) {
  std::vector<double> times;
  std::vector<at::Tensor> tensors{
      torch::from_blob(buffer.data(), {static_cast<int64_t>(buffer.size())}, torch::kFloat32)};
  try {
    for (uint32_t it = 0; it < iterations; ++it) {
      auto start = std::chrono::steady_clock::now();
      impl_->group->allreduce(tensors)->wait();
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{"Gloo all-reduce: "} + e.what());
  }
  return times;
}

} // namespace dmlp::bench
