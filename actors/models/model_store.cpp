#include "actors/models/model_store.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <unistd.h>

#include <torch/torch.h>

#include "actors/models/errors.hpp"
#include "actors/models/tensor_codec.hpp"
#include "messages/errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::models {

namespace fs = std::filesystem;

file_magic weights_magic() {
  return make_magic("DMLPWGTS");
}

uint64_t parameter_count(classifier& module) {
  uint64_t total = 0;
  for (auto& p : module.parameters())
    total += static_cast<uint64_t>(p.numel());
  return total;
}

namespace {

/// Parameters and buffers by their dotted path, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> state_of(classifier& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& item : module.named_parameters())
    out.emplace_back(item.key(), item.value());
  for (auto& item : module.named_buffers())
    out.emplace_back(item.key(), item.value());
  return out;
}

caf::error write_version(const std::string& tmp, const std::vector<uint8_t>& weights,
                         const model_metadata& meta, const preprocessing& prep) {
  auto text_bytes = [](const std::string& text) {
    return std::vector<uint8_t>{text.begin(), text.end()};
  };
  if (auto err = runtime::write_file_atomic((fs::path{tmp} / weights_file_name).string(), weights))
    return err;
  if (auto err = runtime::write_file_atomic((fs::path{tmp} / preprocessing_file_name).string(),
                                            text_bytes(prep.to_json())))
    return err;
  return runtime::write_file_atomic((fs::path{tmp} / metadata_file_name).string(),
                                    text_bytes(meta.to_json()));
}

} // namespace

caf::expected<uint32_t> save_model(const std::string& dir, classifier& module,
                                   model_metadata metadata, const preprocessing& prep) {
  auto bundle = bundle_from_torch(state_of(module));
  if (!bundle)
    return bundle.error();
  auto encoded = encode(*bundle);
  if (!encoded)
    return encoded.error();
  auto framed = frame_checked(weights_magic(), weights_format_version, encoded->bytes);
  if (auto err = runtime::make_directories(dir))
    return err;
  auto versions = list_versions(dir);
  if (!versions)
    return versions.error();
  metadata.version = versions->empty() ? 1 : versions->back() + 1;
  metadata.parameters = parameter_count(module);
  if (metadata.created_unix_ms == 0)
    metadata.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  // Build the version under a temporary name, then publish it with one rename.
  auto tmp = (fs::path{dir} /
              (".tmp-" + std::to_string(metadata.version) + "-" + std::to_string(::getpid())))
                 .string();
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (auto err = runtime::make_directories(tmp))
    return err;
  if (auto err = write_version(tmp, framed, metadata, prep)) {
    fs::remove_all(tmp, ec);
    return err;
  }
  fs::rename(tmp, version_path(dir, metadata.version), ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    return caf::make_error(model_errc::bad_weights, "cannot publish version " +
                                                        std::to_string(metadata.version) + " in " +
                                                        dir + ": " + ec.message());
  }
  return metadata.version;
}

caf::expected<loaded_model> load_model(const std::string& dir, uint32_t version) {
  auto versions = list_versions(dir);
  if (!versions)
    return versions.error();
  if (std::find(versions->begin(), versions->end(), version) == versions->end())
    return caf::make_error(model_errc::unknown_version,
                           dir + " has no version " + std::to_string(version));
  auto meta = read_metadata(dir, version);
  if (!meta)
    return meta.error();
  auto prep = read_preprocessing(dir, version);
  if (!prep)
    return prep.error();
  auto module = model_registry::global().create(meta->architecture);
  if (!module)
    return module.error();
  auto path = (fs::path{version_path(dir, version)} / weights_file_name).string();
  auto file = runtime::read_file(path);
  if (!file)
    return caf::make_error(model_errc::bad_weights, "cannot read " + path);
  auto body = unframe_checked(weights_magic(), weights_format_version, *file);
  if (!body)
    return caf::make_error(model_errc::bad_weights, path + ": " + describe(body.error()));
  auto bundle = decode(encoded_bundle{std::move(*body)});
  if (!bundle)
    return caf::make_error(model_errc::bad_weights, path + ": " + describe(bundle.error()));
  std::map<std::string, const tensor*> by_name;
  for (auto& t : bundle->tensors)
    if (!by_name.emplace(t.name, &t).second)
      return caf::make_error(model_errc::shape_mismatch,
                             path + ": tensor '" + t.name + "' appears twice");
  auto state = state_of(**module);
  if (state.size() != by_name.size())
    return caf::make_error(model_errc::shape_mismatch,
                           path + ": holds " + std::to_string(by_name.size()) +
                               " tensors, architecture '" + meta->architecture + "' has " +
                               std::to_string(state.size()));
  for (auto& [name, target] : state) {
    auto i = by_name.find(name);
    if (i == by_name.end())
      return caf::make_error(model_errc::shape_mismatch,
                             path + ": tensor '" + name + "' is missing");
    auto& saved = *i->second;
    if (saved.shape != target.sizes().vec())
      return caf::make_error(model_errc::shape_mismatch,
                             path + ": tensor '" + name + "' has shape " +
                                 c10::str(c10::IntArrayRef{saved.shape}) + ", architecture '" +
                                 meta->architecture + "' expects " + c10::str(target.sizes()));
    auto value = to_torch(saved);
    if (value.scalar_type() != target.scalar_type())
      return caf::make_error(model_errc::shape_mismatch,
                             path + ": tensor '" + name + "' has dtype " + to_string(saved.type));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : state)
    target.copy_(to_torch(*by_name[name]));
  (*module)->eval();
  return loaded_model{std::move(*module), std::move(*meta), *prep};
}

caf::expected<uint32_t> init_model(const std::string& dir, const std::string& architecture,
                                   const std::string& name, uint64_t seed) {
  torch::manual_seed(seed);
  auto module = model_registry::global().create(architecture);
  if (!module)
    return module.error();
  model_metadata meta;
  meta.name = name;
  meta.architecture = architecture;
  return save_model(dir, **module, meta, preprocessing{});
}

std::vector<std::string> architecture_names() {
  return model_registry::global().names();
}

} // namespace dmlp::models
