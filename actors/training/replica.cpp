#include "actors/training/replica.hpp"

#include <cstring>
#include <mutex>

#include <torch/torch.h>

#include "actors/models/model_registry.hpp"
#include "actors/models/model_store.hpp"
#include "actors/models/tensor_codec.hpp"
#include "actors/training/errors.hpp"

namespace dmlp::training {

struct replica::impl {
  std::shared_ptr<models::classifier> module;
  std::vector<torch::Tensor> params;
  std::vector<torch::Tensor> buffers;
  std::vector<size_t> sizes;
  size_t param_count = 0;
  size_t buffer_count = 0;
};

namespace {

std::mutex& init_mutex() {
  static std::mutex mtx;
  return mtx;
}

caf::error torch_error(const std::exception& e) {
  return caf::make_error(training_errc::compute_failed, std::string{e.what()}.substr(0, 300));
}

const tensor* find(const tensor_bundle& b, const char* name) {
  for (auto& t : b.tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

} // namespace

replica::replica(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

replica::~replica() = default;

caf::expected<std::unique_ptr<replica>> replica::create(const std::string& architecture,
                                                        uint64_t seed, uint32_t threads) {
  auto st = std::make_unique<impl>();
  try {
    // The global torch generator is shared by every replica in the process.
    std::lock_guard<std::mutex> guard{init_mutex()};
    // Process-wide, and it rebuilds libtorch's thread pools: only when it changes, since other
    // replicas may be computing right now.
    auto wanted = static_cast<int>(threads == 0 ? 1 : threads);
    if (torch::get_num_threads() != wanted)
      torch::set_num_threads(wanted);
    torch::manual_seed(seed);
    auto module = models::model_registry::global().create(architecture);
    if (!module)
      return module.error();
    st->module = *module;
  } catch (const std::exception& e) {
    return torch_error(e);
  }
  st->module->train();
  for (auto& p : st->module->parameters()) {
    st->params.push_back(p);
    st->sizes.push_back(static_cast<size_t>(p.numel()));
    st->param_count += static_cast<size_t>(p.numel());
  }
  for (auto& b : st->module->buffers()) {
    if (b.scalar_type() != torch::kFloat32)
      continue;
    st->buffers.push_back(b);
    st->buffer_count += static_cast<size_t>(b.numel());
  }
  return std::unique_ptr<replica>{new replica(std::move(st))};
}

const std::vector<size_t>& replica::tensor_sizes() const {
  return impl_->sizes;
}

size_t replica::param_count() const {
  return impl_->param_count;
}

size_t replica::buffer_count() const {
  return impl_->buffer_count;
}

caf::expected<step_output> replica::compute(const encoded_bundle& batch,
                                            std::vector<float>& exchange) {
  auto bundle = decode(batch);
  if (!bundle)
    return bundle.error();
  auto images = find(*bundle, "images");
  auto labels = find(*bundle, "labels");
  if (!images || !labels || images->type != dtype::float32 || labels->type != dtype::int64 ||
      images->shape.size() != 4 || labels->shape.size() != 1 ||
      images->shape[0] != labels->shape[0] || labels->shape[0] <= 0)
    return caf::make_error(training_errc::bad_bundle,
                           "batch needs images [n,c,h,w] and labels [n]");
  step_output out;
  out.samples = static_cast<uint32_t>(labels->shape[0]);
  exchange.assign(exchange_size(), 0.0f);
  try {
    auto x = models::to_torch(*images);
    auto y = models::to_torch(*labels);
    for (auto& p : impl_->params)
      if (p.grad().defined())
        p.grad().zero_();
    auto logits = impl_->module->forward(x);
    auto loss = torch::nn::functional::cross_entropy(
        logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    loss.backward();
    out.loss = loss.item<double>() / out.samples;
    size_t pos = 0;
    for (auto& p : impl_->params) {
      auto g = p.grad().contiguous();
      std::memcpy(exchange.data() + pos, g.data_ptr<float>(), g.numel() * sizeof(float));
      pos += static_cast<size_t>(g.numel());
    }
    auto n = static_cast<float>(out.samples);
    for (auto& b : impl_->buffers) {
      auto c = b.contiguous();
      auto src = c.data_ptr<float>();
      for (int64_t i = 0; i < c.numel(); ++i)
        exchange[pos + i] = src[i] * n;
      pos += static_cast<size_t>(c.numel());
    }
    exchange[pos] = n;
    exchange[pos + 1] = static_cast<float>(out.loss) * n;
  } catch (const std::exception& e) {
    return torch_error(e);
  }
  return out;
}

void replica::read_values(float* out) {
  torch::NoGradGuard guard;
  for (auto* group : {&impl_->params, &impl_->buffers})
    for (auto& t : *group) {
      auto c = t.contiguous();
      std::memcpy(out, c.data_ptr<float>(), c.numel() * sizeof(float));
      out += c.numel();
    }
}

void replica::write_values(const float* values) {
  torch::NoGradGuard guard;
  for (auto* group : {&impl_->params, &impl_->buffers})
    for (auto& t : *group) {
      auto src = torch::from_blob(const_cast<float*>(values), t.sizes(), torch::kFloat32);
      t.copy_(src);
      values += t.numel();
    }
}

caf::expected<double> replica::evaluate(const float* images, const uint8_t* labels, size_t count,
                                        uint32_t channels, uint32_t height, uint32_t width) {
  if (count == 0)
    return 0.0;
  int64_t correct = 0;
  try {
    torch::NoGradGuard guard;
    impl_->module->eval();
    size_t per = size_t{channels} * height * width;
    for (size_t first = 0; first < count; first += 1000) {
      auto n = static_cast<int64_t>(std::min<size_t>(1000, count - first));
      auto x = torch::from_blob(const_cast<float*>(images + first * per),
                                {n, channels, height, width}, torch::kFloat32);
      auto pred = impl_->module->forward(x).argmax(1);
      auto y = torch::from_blob(const_cast<uint8_t*>(labels + first), {n}, torch::kUInt8)
                   .to(torch::kInt64);
      correct += pred.eq(y).sum().item<int64_t>();
    }
    impl_->module->train();
  } catch (const std::exception& e) {
    impl_->module->train();
    return torch_error(e);
  }
  return static_cast<double>(correct) / static_cast<double>(count);
}

caf::expected<uint32_t> replica::save(const std::string& dir, const std::string& architecture,
                                      const preprocessing& prep,
                                      const std::map<std::string, double>& metrics) {
  models::model_metadata meta;
  meta.architecture = architecture;
  meta.name = architecture;
  meta.metrics = metrics;
  impl_->module->eval();
  auto result = models::save_model(dir, *impl_->module, meta, prep);
  impl_->module->train();
  return result;
}

} // namespace dmlp::training
