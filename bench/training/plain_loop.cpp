#include "bench/training/plain_loop.hpp"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "actors/ingest/dataset.hpp"
#include "actors/models/model_registry.hpp"

namespace dmlp::bench {

caf::expected<double> plain_training_loop(const std::string& model_name, uint64_t samples,
                                          int threads) {
  auto source = ingest::make_dataset({});
  if (!source)
    return source.error();
  auto loaded = (*source)->load(preprocessing{});
  if (!loaded)
    return loaded.error();
  auto& train = loaded->train;
  samples = std::min<uint64_t>(samples, train.count);
  torch::set_num_threads(threads);
  torch::manual_seed(1);
  auto model = models::model_registry::global().create(model_name);
  if (!model)
    return model.error();
  torch::optim::Adam opt((*model)->parameters(), torch::optim::AdamOptions(1e-3));
  auto images =
      torch::from_blob(const_cast<float*>(train.pixels.data()),
                       {static_cast<int64_t>(samples), static_cast<int64_t>(train.channels),
                        static_cast<int64_t>(train.height), static_cast<int64_t>(train.width)},
                       torch::kFloat32);
  auto labels = torch::from_blob(const_cast<uint8_t*>(train.labels.data()),
                                 {static_cast<int64_t>(samples)}, torch::kUInt8)
                    .to(torch::kInt64);
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < static_cast<int64_t>(samples); i += 64) {
    auto n = std::min<int64_t>(64, static_cast<int64_t>(samples) - i);
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy((*model)->forward(images.narrow(0, i, n)),
                                                     labels.narrow(0, i, n));
    loss.backward();
    opt.step();
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return secs > 0 ? samples / secs : 0.0;
}

} // namespace dmlp::bench
