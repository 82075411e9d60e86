// The model registry: architectures by name, each a factory of a fresh classifier module.
// The book's three models (cnn, dropout, batch_norm; book_models.hpp) are registered on first
// use of global(); users register their own from their code with
//   dmlp::models::model_registry::global().add("mine", [] { return std::make_shared<mine>(); });
// after which training saves and serving loads "mine" artifacts like the built-in ones.
// Includes torch: include it only where you compute. Thread-safe (one mutex).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>

namespace dmlp::models {

/// An image classifier: maps a float batch [N, C, H, W] to logits [N, classes].
class classifier : public torch::nn::Module {
public:
  /// Logits of a batch of preprocessed images.
  virtual torch::Tensor forward(torch::Tensor input) = 0;
};

/// Creates a freshly initialised module of one architecture.
using model_factory = std::function<std::shared_ptr<classifier>()>;

/// Architectures by name.
class model_registry {
public:
  /// The process-wide registry, with the book's models already registered.
  static model_registry& global();

  /// Registers `factory` under `name`; fails with model_errc::duplicate_architecture.
  caf::error add(const std::string& name, model_factory factory);

  /// A new module of architecture `name`; model_errc::unknown_architecture otherwise.
  caf::expected<std::shared_ptr<classifier>> create(const std::string& name) const;

  /// Registered names, sorted.
  std::vector<std::string> names() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, model_factory> factories_;
};

} // namespace dmlp::models
