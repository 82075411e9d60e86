#include "runtime/config.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "runtime/errors.hpp"
#include "runtime/logging.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::runtime {

config_reader::config_reader(std::shared_ptr<YAML::Node> node, std::string source,
                             std::string prefix)
    : node_(std::move(node)), source_(std::move(source)), prefix_(std::move(prefix)) {}

caf::expected<config_reader> config_reader::from_string(const std::string& text,
                                                        const std::string& source) {
  try {
    auto node = std::make_shared<YAML::Node>(YAML::Load(text));
    if (node->IsNull())
      *node = YAML::Node(YAML::NodeType::Map);
    if (!node->IsMap())
      return caf::make_error(runtime_errc::config_unreadable,
                             source + ": the top level must be a mapping of keys");
    return config_reader{std::move(node), source, ""};
  } catch (const YAML::Exception& e) {
    return caf::make_error(runtime_errc::config_unreadable, source + ": " + e.what());
  }
}

caf::expected<config_reader> config_reader::from_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return caf::make_error(runtime_errc::config_unreadable, path + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  return from_string(text.str(), path);
}

std::string config_reader::where(const std::string& key) const {
  return source_ + ": " + prefix_ + key;
}

caf::error config_reader::missing(const std::string& key) const {
  return caf::make_error(runtime_errc::config_missing_key,
                         where(key) + ": required key is missing");
}

caf::error config_reader::invalid(const std::string& key, const std::string& expectation) const {
  return caf::make_error(runtime_errc::config_invalid_value, where(key) + ": " + expectation);
}

bool config_reader::has(const std::string& key) const {
  return (*node_)[key].IsDefined();
}

namespace {

template <class T> bool convert_scalar(const YAML::Node& node, T& out) {
  if (!node.IsScalar())
    return false;
  try {
    out = node.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

} // namespace

#define DMLP_CONFIG_SCALAR_READ(type, expectation)                                                 \
  caf::error config_reader::read(const std::string& key, type& out) {                              \
    auto node = (*node_)[key];                                                                     \
    if (!node.IsDefined())                                                                         \
      return caf::none;                                                                            \
    used_.insert(key);                                                                             \
    type value{};                                                                                  \
    if (!convert_scalar(node, value))                                                              \
      return invalid(key, expectation);                                                            \
    out = value;                                                                                   \
    return caf::none;                                                                              \
  }

DMLP_CONFIG_SCALAR_READ(bool, "expected true or false")
DMLP_CONFIG_SCALAR_READ(int64_t, "expected an integer")
DMLP_CONFIG_SCALAR_READ(uint32_t, "expected a non-negative integer")
DMLP_CONFIG_SCALAR_READ(double, "expected a number")
DMLP_CONFIG_SCALAR_READ(std::string, "expected a string")

#undef DMLP_CONFIG_SCALAR_READ

caf::error config_reader::read(const std::string& key, std::vector<std::string>& out) {
  auto node = (*node_)[key];
  if (!node.IsDefined())
    return caf::none;
  used_.insert(key);
  if (!node.IsSequence())
    return invalid(key, "expected a list of strings");
  std::vector<std::string> values;
  for (const auto& item : node) {
    std::string value;
    if (!convert_scalar(item, value))
      return invalid(key, "expected a list of strings");
    values.push_back(value);
  }
  out = std::move(values);
  return caf::none;
}

caf::error config_reader::read(const std::string& key, std::chrono::milliseconds& out) {
  auto node = (*node_)[key];
  if (!node.IsDefined())
    return caf::none;
  used_.insert(key);
  std::string text;
  if (!convert_scalar(node, text))
    return invalid(key, "expected a duration like 250ms or 5s");
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  if (digits == 0)
    return invalid(key, "expected a duration like 250ms or 5s");
  double amount = std::stod(text.substr(0, digits));
  auto unit = text.substr(digits);
  double factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "us")
    factor = 0.001;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m" || unit == "min")
    factor = 60000;
  else
    return invalid(key, "unknown duration unit '" + unit + "' (use us, ms, s or m)");
  out = std::chrono::milliseconds{static_cast<int64_t>(amount * factor)};
  return caf::none;
}

caf::expected<config_reader> config_reader::section(const std::string& key) {
  auto node = (*node_)[key];
  if (!node.IsDefined())
    return config_reader{std::make_shared<YAML::Node>(YAML::NodeType::Map), source_,
                         prefix_ + key + "."};
  used_.insert(key);
  if (!node.IsMap())
    return invalid(key, "expected a mapping of keys");
  return config_reader{std::make_shared<YAML::Node>(node), source_, prefix_ + key + "."};
}

caf::expected<std::vector<config_reader>> config_reader::sections(const std::string& key) {
  std::vector<config_reader> result;
  auto node = (*node_)[key];
  if (!node.IsDefined())
    return result;
  used_.insert(key);
  if (!node.IsSequence())
    return invalid(key, "expected a list of mappings");
  for (size_t i = 0; i < node.size(); ++i) {
    auto item_key = key + "[" + std::to_string(i) + "]";
    if (!node[i].IsMap())
      return invalid(item_key, "expected a mapping of keys");
    result.push_back(
        config_reader{std::make_shared<YAML::Node>(node[i]), source_, prefix_ + item_key + "."});
  }
  return result;
}

caf::error config_reader::finish() const {
  for (const auto& entry : *node_) {
    auto key = entry.first.as<std::string>();
    if (used_.count(key) == 0)
      return caf::make_error(runtime_errc::config_unknown_key, where(key) + ": unknown key");
  }
  return caf::none;
}

caf::error read_supervisor_options(config_reader& reader, supervisor_spec& spec) {
  std::string strategy_name;
  if (auto err = reader.read("strategy", strategy_name))
    return err;
  if (!strategy_name.empty()) {
    bool known = false;
    for (auto s : {strategy::one_for_one, strategy::one_for_all, strategy::rest_for_one,
                   strategy::simple_one_for_one})
      if (strategy_name == to_string(s)) {
        spec.restart_strategy = s;
        known = true;
      }
    if (!known)
      return caf::make_error(runtime_errc::config_invalid_value,
                             reader.where("strategy") + ": unknown strategy '" + strategy_name +
                                 "' (one_for_one, one_for_all, rest_for_one, simple_one_for_one)");
  }
  auto intensity = reader.section("intensity");
  if (!intensity)
    return intensity.error();
  if (auto err = intensity->read("max_restarts", spec.intensity.max_restarts))
    return err;
  if (auto err = intensity->read("period", spec.intensity.period))
    return err;
  if (auto err = intensity->finish())
    return err;
  auto backoff = reader.section("backoff");
  if (!backoff)
    return backoff.error();
  if (auto err = backoff->read("min", spec.backoff.min))
    return err;
  if (auto err = backoff->read("max", spec.backoff.max))
    return err;
  if (auto err = backoff->read("jitter", spec.backoff.jitter))
    return err;
  if (spec.backoff.jitter < 0 || spec.backoff.jitter > 1)
    return caf::make_error(runtime_errc::config_invalid_value,
                           backoff->where("jitter") + ": must lie in [0, 1]");
  if (auto err = backoff->read("reset_after", spec.backoff.reset_after))
    return err;
  return backoff->finish();
}

caf::error read_logging_options(config_reader& reader, logging_options& options) {
  if (auto err = reader.read("level", options.level))
    return err;
  spdlog::level::level_enum level;
  if (!parse_level(options.level, level))
    return caf::make_error(runtime_errc::config_invalid_value,
                           reader.where("level") + ": unknown level '" + options.level +
                               "' (trace, debug, info, warn, error, off)");
  if (auto err = reader.read("file", options.file))
    return err;
  return reader.finish();
}

} // namespace dmlp::runtime
