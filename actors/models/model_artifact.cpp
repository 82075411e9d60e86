#include "actors/models/model_artifact.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "actors/models/errors.hpp"
#include "messages/errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::models {

namespace fs = std::filesystem;

std::string model_metadata::to_json() const {
  nlohmann::json j{{"format", format},
                   {"name", name},
                   {"architecture", architecture},
                   {"version", version},
                   {"created_unix_ms", created_unix_ms},
                   {"parameters", parameters},
                   {"classes", classes},
                   {"metrics", metrics}};
  return j.dump(2);
}

caf::expected<model_metadata> model_metadata::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return caf::make_error(model_errc::bad_metadata, "model.json is not a JSON object");
  model_metadata m;
  try {
    m.format = j.at("format").get<uint32_t>();
    if (m.format != model_metadata_format)
      return caf::make_error(model_errc::bad_metadata,
                             "model.json format " + std::to_string(m.format) +
                                 " is not supported (this build reads " +
                                 std::to_string(model_metadata_format) + ")");
    m.name = j.value("name", std::string{});
    m.architecture = j.at("architecture").get<std::string>();
    m.version = j.at("version").get<uint32_t>();
    m.created_unix_ms = j.value("created_unix_ms", int64_t{0});
    m.parameters = j.value("parameters", uint64_t{0});
    m.classes = j.value("classes", uint32_t{10});
    if (j.contains("metrics"))
      m.metrics = j.at("metrics").get<std::map<std::string, double>>();
  } catch (const nlohmann::json::exception& e) {
    return caf::make_error(model_errc::bad_metadata, std::string{"model.json: "} + e.what());
  }
  if (m.architecture.empty() || m.classes == 0)
    return caf::make_error(model_errc::bad_metadata,
                           "model.json: empty architecture or zero classes");
  return m;
}

std::string version_path(const std::string& dir, uint32_t version) {
  return (fs::path{dir} / std::to_string(version)).string();
}

caf::expected<std::vector<uint32_t>> list_versions(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return caf::make_error(model_errc::no_versions, "model directory " + dir + " does not exist");
  std::vector<uint32_t> out;
  for (auto& entry : fs::directory_iterator{dir, ec}) {
    auto name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || !entry.is_directory() ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    auto v = static_cast<uint32_t>(std::stoul(name));
    if (v > 0)
      out.push_back(v);
  }
  if (ec)
    return caf::make_error(model_errc::no_versions,
                           "cannot list model directory " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

caf::expected<uint32_t> newest_version(const std::string& dir) {
  auto versions = list_versions(dir);
  if (!versions)
    return versions.error();
  if (versions->empty())
    return caf::make_error(model_errc::no_versions, "model directory " + dir + " has no versions");
  return versions->back();
}

namespace {

caf::expected<std::string> read_text(const std::string& path) {
  auto bytes = runtime::read_file(path);
  if (!bytes)
    return bytes.error();
  return std::string{bytes->begin(), bytes->end()};
}

} // namespace

caf::expected<model_metadata> read_metadata(const std::string& dir, uint32_t version) {
  auto path = (fs::path{version_path(dir, version)} / metadata_file_name).string();
  auto text = read_text(path);
  if (!text)
    return caf::make_error(model_errc::bad_metadata, "cannot read " + path);
  auto meta = model_metadata::from_json(*text);
  if (!meta)
    return caf::make_error(model_errc::bad_metadata, path + ": " + describe(meta.error()));
  if (meta->version != version)
    return caf::make_error(model_errc::bad_metadata,
                           path + ": records version " + std::to_string(meta->version));
  return meta;
}

caf::expected<preprocessing> read_preprocessing(const std::string& dir, uint32_t version) {
  auto path = (fs::path{version_path(dir, version)} / preprocessing_file_name).string();
  auto text = read_text(path);
  if (!text)
    return caf::make_error(model_errc::bad_metadata, "cannot read " + path);
  auto prep = preprocessing::from_json(*text);
  if (!prep)
    return caf::make_error(model_errc::bad_metadata, path + ": invalid preprocessing record");
  return prep;
}

} // namespace dmlp::models
