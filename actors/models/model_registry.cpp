#include "actors/models/model_registry.hpp"

#include "actors/models/book_models.hpp"
#include "actors/models/errors.hpp"

namespace dmlp::models {

model_registry& model_registry::global() {
  static model_registry* instance = [] {
    auto* reg = new model_registry;
    register_book_models(*reg);
    return reg;
  }();
  return *instance;
}

caf::error model_registry::add(const std::string& name, model_factory factory) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (name.empty() || !factory)
    return caf::make_error(model_errc::unknown_architecture, "empty architecture name or factory");
  if (!factories_.emplace(name, std::move(factory)).second)
    return caf::make_error(model_errc::duplicate_architecture,
                           "architecture '" + name + "' is already registered");
  return caf::none;
}

caf::expected<std::shared_ptr<classifier>> model_registry::create(const std::string& name) const {
  model_factory factory;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = factories_.find(name);
    if (i == factories_.end()) {
      std::string known;
      for (auto& [key, value] : factories_)
        known += (known.empty() ? "" : ", ") + key;
      return caf::make_error(model_errc::unknown_architecture,
                             "unknown architecture '" + name + "' (registered: " + known + ")");
    }
    factory = i->second;
  }
  return factory();
}

std::vector<std::string> model_registry::names() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> out;
  for (auto& [key, value] : factories_)
    out.push_back(key);
  return out;
}

} // namespace dmlp::models
