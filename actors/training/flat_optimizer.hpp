// Optimizers over flat float buffers, with no torch: Adam and SGD with momentum, plus the
// learning-rate rules (the book's step decay and the linear scaling rule for a changed global
// batch). Trainers (all-reduce) and parameter-server shards (each over its own slice) use the
// same code, so a replica's update is plain, deterministic float arithmetic: replicas that apply
// the same sum hold bit-identical parameters. State (moments, step count) is plain vectors so it
// can be checkpointed and handed to a joining worker. Not thread-safe: one per owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dmlp::training {

/// Optimizer and learning-rate options (configs: `training.optimizer`).
struct optimizer_options {
  /// "adam" or "sgd" (with momentum). Default: "adam".
  std::string kind = "adam";
  /// Base learning rate at `base_batch`. Default: 1e-3 (the book's Adam rate).
  double lr = 1e-3;
  /// SGD momentum. Default: 0.9.
  double momentum = 0.9;
  /// Adam β1. Default: 0.9.
  double beta1 = 0.9;
  /// Adam β2. Default: 0.999.
  double beta2 = 0.999;
  /// Adam ε. Default: 1e-7 (Keras' value, as in the book).
  double epsilon = 1e-7;
  /// Step decay: multiply the rate by `decay_rate` every `decay_epochs` epochs; 0 = never.
  /// Default: 0.
  uint32_t decay_epochs = 0;
  /// Step decay factor. Default: 0.5.
  double decay_rate = 0.5;
  /// Global batch the base rate was tuned for. Default: 64.
  uint32_t base_batch = 64;
  /// Linear scaling: rate × global_batch / base_batch when the global batch changes.
  /// Default: false (Adam is rarely scaled; turn it on for SGD).
  bool linear_scaling = false;
};

/// The learning rate of `epoch` with global batch `global_batch` (step decay, then scaling).
double learning_rate(const optimizer_options& options, uint64_t epoch, uint64_t global_batch);

/// Adam or SGD with momentum over one flat buffer.
class flat_optimizer {
public:
  /// An optimizer for `size` values with zero state.
  flat_optimizer(optimizer_options options, size_t size);

  /// params -= update(grads) at rate `lr`. grads.size() must equal size().
  void step(float* params, const float* grads, double lr);

  /// Number of values.
  size_t size() const { return m_.size(); }

  /// First moment (Adam) or velocity (SGD).
  std::vector<float>& first() { return m_; }
  /// Second moment (Adam; empty for SGD).
  std::vector<float>& second() { return v_; }
  /// Steps taken.
  int64_t& steps() { return t_; }

private:
  optimizer_options options_;
  std::vector<float> m_;
  std::vector<float> v_;
  int64_t t_ = 0;
};

} // namespace dmlp::training
