#include "actors/models/book_models.hpp"

#include <torch/nn.h>

namespace dmlp::models {

book_cnn::book_cnn(variant kind) : kind_(kind) {
  namespace nn = torch::nn;
  conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 32, 3)));
  if (kind_ == variant::batch_norm)
    norm1_ = register_module("norm1", nn::BatchNorm2d(32));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3)));
  if (kind_ == variant::batch_norm)
    norm2_ = register_module("norm2", nn::BatchNorm2d(64));
  if (kind_ == variant::dropout)
    drop_ = register_module("dropout", nn::Dropout(0.5));
  conv3_ = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(64, 64, 3)));
  dense1_ = register_module("dense1", nn::Linear(576, 64));
  dense2_ = register_module("dense2", nn::Linear(64, 10));
}

torch::Tensor book_cnn::forward(torch::Tensor x) {
  x = conv1_->forward(x);
  x = kind_ == variant::batch_norm ? torch::sigmoid(norm1_->forward(x)) : torch::relu(x);
  x = torch::max_pool2d(x, 2);
  x = conv2_->forward(x);
  x = kind_ == variant::batch_norm ? torch::sigmoid(norm2_->forward(x)) : torch::relu(x);
  x = torch::max_pool2d(x, 2);
  if (kind_ == variant::dropout)
    x = drop_->forward(x);
  x = torch::relu(conv3_->forward(x));
  x = x.flatten(1);
  x = torch::relu(dense1_->forward(x));
  return dense2_->forward(x);
}

void register_book_models(model_registry& registry) {
  registry.add("cnn", [] { return std::make_shared<book_cnn>(book_cnn::variant::plain); });
  registry.add("dropout", [] { return std::make_shared<book_cnn>(book_cnn::variant::dropout); });
  registry.add("batch_norm",
               [] { return std::make_shared<book_cnn>(book_cnn::variant::batch_norm); });
}

} // namespace dmlp::models
