// The three models of the book's Fashion-MNIST project as libtorch modules (issue 5, Models):
//   cnn        Conv(1→32,3×3)+ReLU → MaxPool 2 → Conv(32→64,3×3)+ReLU → MaxPool 2 →
//              Conv(64→64,3×3)+ReLU → Flatten → Dense(576→64)+ReLU → Dense(64→10); 93,322
//              parameters.
//   dropout    cnn with Dropout(0.5) after the second pooling.
//   batch_norm cnn with BatchNorm then sigmoid (instead of ReLU) after each of the first two
//              convolutions, before the pool.
// Inputs are [N, 1, 28, 28] floats (after the preprocessing record); outputs are 10 logits.
// Modules are not thread-safe; one per thread (each serving replica owns its own).
#pragma once

#include <torch/nn.h>

#include "actors/models/model_registry.hpp"

namespace dmlp::models {

/// The book's network, optionally with dropout or batch normalisation.
class book_cnn : public classifier {
public:
  /// Which of the book's three variants.
  enum class variant { plain, dropout, batch_norm };

  explicit book_cnn(variant kind);

  /// Logits [N, 10] of [N, 1, 28, 28] inputs.
  torch::Tensor forward(torch::Tensor input) override;

private:
  variant kind_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::Conv2d conv3_{nullptr};
  torch::nn::BatchNorm2d norm1_{nullptr};
  torch::nn::BatchNorm2d norm2_{nullptr};
  torch::nn::Dropout drop_{nullptr};
  torch::nn::Linear dense1_{nullptr};
  torch::nn::Linear dense2_{nullptr};
};

/// Registers "cnn", "dropout" and "batch_norm" with `registry`.
void register_book_models(model_registry& registry);

} // namespace dmlp::models
