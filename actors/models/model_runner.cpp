#include "actors/models/model_runner.hpp"

#include <algorithm>
#include <cstring>

#include <torch/torch.h>

#include "actors/models/errors.hpp"
#include "actors/models/model_store.hpp"

namespace dmlp::models {

struct model_runner::impl {
  loaded_model model;
  runner_options options;
};

model_runner::model_runner(std::shared_ptr<impl> state) : impl_(std::move(state)) {}

caf::expected<model_runner> model_runner::load(const std::string& dir, uint32_t version,
                                               runner_options options) {
  try {
    if (options.threads > 0)
      torch::set_num_threads(static_cast<int>(options.threads));
    auto model = load_model(dir, version);
    if (!model)
      return model.error();
    auto state = std::make_shared<impl>();
    state->model = std::move(*model);
    state->options = options;
    state->options.max_chunk = std::max<uint32_t>(1, options.max_chunk);
    return model_runner{std::move(state)};
  } catch (const c10::Error& e) {
    return caf::make_error(model_errc::compute_failed, e.what_without_backtrace());
  }
}

caf::error model_runner::warm_up(size_t batch) {
  std::vector<float> zeros(std::max<size_t>(batch, 1) * sample_size(), 0.0f);
  auto out = predict(zeros.data(), std::max<size_t>(batch, 1));
  return out ? caf::none : out.error();
}

caf::expected<std::vector<float>> model_runner::predict(const float* inputs, size_t samples) {
  if (samples == 0)
    return caf::make_error(model_errc::bad_input, "no samples");
  auto& prep = impl_->model.prep;
  auto classes = impl_->model.metadata.classes;
  std::vector<float> out(samples * classes);
  try {
    c10::InferenceMode guard;
    for (size_t first = 0; first < samples; first += impl_->options.max_chunk) {
      auto n = std::min<size_t>(impl_->options.max_chunk, samples - first);
      auto x =
          torch::from_blob(const_cast<float*>(inputs) + first * sample_size(),
                           {static_cast<int64_t>(n), static_cast<int64_t>(prep.channels),
                            static_cast<int64_t>(prep.height), static_cast<int64_t>(prep.width)},
                           torch::kFloat32);
      auto probs = torch::softmax(impl_->model.module->forward(x), 1).contiguous();
      if (probs.dim() != 2 || probs.size(0) != static_cast<int64_t>(n) ||
          probs.size(1) != static_cast<int64_t>(classes))
        return caf::make_error(model_errc::shape_mismatch,
                               "model output " + c10::str(probs.sizes()) + " does not match " +
                                   std::to_string(classes) + " classes");
      std::memcpy(out.data() + first * classes, probs.data_ptr<float>(),
                  n * classes * sizeof(float));
    }
  } catch (const c10::Error& e) {
    return caf::make_error(model_errc::compute_failed, e.what_without_backtrace());
  }
  return out;
}

size_t model_runner::sample_size() const {
  return impl_->model.prep.sample_size();
}

uint32_t model_runner::classes() const {
  return impl_->model.metadata.classes;
}

const model_metadata& model_runner::metadata() const {
  return impl_->model.metadata;
}

const preprocessing& model_runner::prep() const {
  return impl_->model.prep;
}

} // namespace dmlp::models
