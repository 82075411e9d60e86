#include "actors/training/flat_optimizer.hpp"

#include <cmath>

namespace dmlp::training {

double learning_rate(const optimizer_options& options, uint64_t epoch, uint64_t global_batch) {
  double lr = options.lr;
  if (options.decay_epochs > 0)
    lr *= std::pow(options.decay_rate, static_cast<double>(epoch / options.decay_epochs));
  if (options.linear_scaling && options.base_batch > 0 && global_batch > 0)
    lr *= static_cast<double>(global_batch) / options.base_batch;
  return lr;
}

flat_optimizer::flat_optimizer(optimizer_options options, size_t size)
    : options_(std::move(options)), m_(size, 0.0f) {
  if (options_.kind == "adam")
    v_.assign(size, 0.0f);
}

void flat_optimizer::step(float* params, const float* grads, double lr) {
  ++t_;
  auto n = m_.size();
  if (options_.kind == "adam") {
    auto b1 = static_cast<float>(options_.beta1);
    auto b2 = static_cast<float>(options_.beta2);
    auto eps = static_cast<float>(options_.epsilon);
    auto c1 = static_cast<float>(1.0 - std::pow(options_.beta1, static_cast<double>(t_)));
    auto c2 = static_cast<float>(1.0 - std::pow(options_.beta2, static_cast<double>(t_)));
    auto rate = static_cast<float>(lr);
    for (size_t i = 0; i < n; ++i) {
      m_[i] = b1 * m_[i] + (1.0f - b1) * grads[i];
      v_[i] = b2 * v_[i] + (1.0f - b2) * grads[i] * grads[i];
      auto mhat = m_[i] / c1;
      auto vhat = v_[i] / c2;
      params[i] -= rate * mhat / (std::sqrt(vhat) + eps);
    }
    return;
  }
  auto mu = static_cast<float>(options_.momentum);
  auto rate = static_cast<float>(lr);
  for (size_t i = 0; i < n; ++i) {
    m_[i] = mu * m_[i] + grads[i];
    params[i] -= rate * m_[i];
  }
}

} // namespace dmlp::training
