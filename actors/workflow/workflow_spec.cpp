#include "actors/workflow/workflow_spec.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "actors/workflow/workflow_errors.hpp"

namespace dmlp::workflow {

namespace {

caf::error spec_error(const std::string& where, const std::string& what) {
  return caf::make_error(workflow_errc::invalid_spec, where + ": " + what);
}

// YAML scalars become JSON numbers, booleans or strings by their look; quoted scalars stay
// strings.
json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node)
        out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node)
        out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const auto& text = node.Scalar();
      if (node.Tag() == "!")
        return text;
      if (text == "true" || text == "false")
        return text == "true";
      if (text == "null" || text == "~")
        return nullptr;
      if (!text.empty() && text.find_first_not_of("+-0123456789") == std::string::npos &&
          text != "+" && text != "-") {
        try {
          size_t used = 0;
          auto v = std::stoll(text, &used);
          if (used == text.size())
            return v;
        } catch (const std::exception&) {}
      }
      if (!text.empty() && text.find_first_not_of("+-0123456789.eE") == std::string::npos) {
        try {
          size_t used = 0;
          auto v = std::stod(text, &used);
          if (used == text.size())
            return v;
        } catch (const std::exception&) {}
      }
      return text;
    }
    default:
      return nullptr;
  }
}

/// Strict reader of one JSON object: every key must be read.
class object_reader {
public:
  object_reader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  std::string at(const std::string& key) const { return where_ + "." + key; }

  const json* get(const std::string& key) {
    used_.insert(key);
    auto i = obj_.find(key);
    return i == obj_.end() ? nullptr : &*i;
  }

  caf::error string(const std::string& key, std::string& out, bool required = false) {
    auto v = get(key);
    if (v == nullptr)
      return required ? spec_error(at(key), "missing") : caf::error{};
    if (!v->is_string())
      return spec_error(at(key), "expected a string");
    out = v->get<std::string>();
    return {};
  }

  caf::error boolean(const std::string& key, bool& out) {
    auto v = get(key);
    if (v == nullptr)
      return {};
    if (!v->is_boolean())
      return spec_error(at(key), "expected true or false");
    out = v->get<bool>();
    return {};
  }

  caf::error number(const std::string& key, double& out) {
    auto v = get(key);
    if (v == nullptr)
      return {};
    if (!v->is_number())
      return spec_error(at(key), "expected a number");
    out = v->get<double>();
    return {};
  }

  caf::error count(const std::string& key, uint64_t& out) {
    auto v = get(key);
    if (v == nullptr)
      return {};
    if (!v->is_number_integer() || v->get<int64_t>() < 0)
      return spec_error(at(key), "expected a non-negative integer");
    out = v->get<uint64_t>();
    return {};
  }

  caf::error duration(const std::string& key, std::chrono::milliseconds& out) {
    auto v = get(key);
    if (v == nullptr)
      return {};
    std::string text = v->is_number_integer() ? std::to_string(v->get<int64_t>())
                       : v->is_string()       ? v->get<std::string>()
                                              : std::string{"?"};
    auto d = parse_duration(text);
    if (!d)
      return spec_error(at(key), "expected a duration like 250ms, 5s, 2m, 1h or 7d");
    out = *d;
    return {};
  }

  caf::error finish() const {
    for (auto& kv : obj_.items())
      if (used_.count(kv.key()) == 0)
        return spec_error(at(kv.key()), "unknown key");
    return {};
  }

private:
  const json& obj_;
  std::string where_;
  std::set<std::string> used_;
};

caf::error read_step(const json& doc, const std::string& where, step_spec& step) {
  if (!doc.is_object())
    return spec_error(where, "expected a mapping");
  object_reader r{doc, where};
  if (auto err = r.string("name", step.name, true))
    return err;
  if (auto err = r.string("type", step.type, true))
    return err;
  if (auto v = r.get("parameters")) {
    if (!v->is_object())
      return spec_error(r.at("parameters"), "expected a mapping");
    step.parameters = *v;
  }
  if (auto v = r.get("depends")) {
    if (!v->is_array())
      return spec_error(r.at("depends"), "expected a list");
    for (size_t i = 0; i < v->size(); ++i) {
      const auto& d = (*v)[i];
      auto at = r.at("depends[" + std::to_string(i) + "]");
      dependency dep;
      if (d.is_string()) {
        dep.step = d.get<std::string>();
      } else if (d.is_object()) {
        object_reader dr{d, at};
        if (auto err = dr.string("step", dep.step, true))
          return err;
        std::string mode = "sync";
        if (auto err = dr.string("mode", mode))
          return err;
        if (mode != "sync" && mode != "async")
          return spec_error(dr.at("mode"), "expected sync or async");
        dep.async = mode == "async";
        if (auto err = dr.string("better_by", dep.better_by))
          return err;
        std::string order = "max";
        if (auto err = dr.string("better", order))
          return err;
        if (order != "max" && order != "min")
          return spec_error(dr.at("better"), "expected max or min");
        dep.higher_is_better = order == "max";
        if (auto err = dr.finish())
          return err;
      } else {
        return spec_error(at, "expected a step name or a mapping");
      }
      step.depends.push_back(std::move(dep));
    }
  }
  if (auto v = r.get("for_each")) {
    if (!v->is_array() && !v->is_string())
      return spec_error(r.at("for_each"), "expected a list or a template string");
    step.items = *v;
  }
  if (auto v = r.get("retry")) {
    if (!v->is_object())
      return spec_error(r.at("retry"), "expected a mapping");
    object_reader rr{*v, r.at("retry")};
    uint64_t limit = 0;
    if (auto err = rr.count("limit", limit))
      return err;
    step.retry.limit = static_cast<uint32_t>(limit);
    std::string policy = "transient";
    if (auto err = rr.string("policy", policy))
      return err;
    if (policy != "always" && policy != "transient")
      return spec_error(rr.at("policy"), "expected always or transient");
    step.retry.on = policy == "always" ? retry_on::always : retry_on::transient;
    if (auto err = rr.duration("backoff", step.retry.backoff))
      return err;
    if (auto err = rr.number("factor", step.retry.factor))
      return err;
    if (step.retry.factor < 1.0)
      return spec_error(rr.at("factor"), "expected at least 1");
    if (auto err = rr.duration("max_backoff", step.retry.max_backoff))
      return err;
    if (auto err = rr.finish())
      return err;
  }
  if (auto err = r.duration("timeout", step.timeout))
    return err;
  if (auto v = r.get("memoize")) {
    if (v->is_boolean()) {
      step.memoize.enabled = v->get<bool>();
    } else if (v->is_object()) {
      object_reader mr{*v, r.at("memoize")};
      step.memoize.enabled = true;
      if (auto err = mr.boolean("enabled", step.memoize.enabled))
        return err;
      if (auto err = mr.duration("max_age", step.memoize.max_age))
        return err;
      if (auto err = mr.finish())
        return err;
    } else {
      return spec_error(r.at("memoize"), "expected true, false or a mapping");
    }
  }
  if (auto err = r.count("memory_mb", step.memory_mb))
    return err;
  return r.finish();
}

json step_to_json(const step_spec& s) {
  json out = {{"name", s.name}, {"type", s.type}, {"parameters", s.parameters}};
  if (!s.depends.empty()) {
    json deps = json::array();
    for (const auto& d : s.depends) {
      if (!d.async) {
        deps.push_back(d.step);
        continue;
      }
      json dep = {{"step", d.step}, {"mode", "async"}};
      if (!d.better_by.empty()) {
        dep["better_by"] = d.better_by;
        dep["better"] = d.higher_is_better ? "max" : "min";
      }
      deps.push_back(std::move(dep));
    }
    out["depends"] = std::move(deps);
  }
  if (s.items)
    out["for_each"] = *s.items;
  if (s.retry.limit > 0)
    out["retry"] = {{"limit", s.retry.limit},
                    {"policy", s.retry.on == retry_on::always ? "always" : "transient"},
                    {"backoff", std::to_string(s.retry.backoff.count()) + "ms"},
                    {"factor", s.retry.factor},
                    {"max_backoff", std::to_string(s.retry.max_backoff.count()) + "ms"}};
  if (s.timeout.count() > 0)
    out["timeout"] = std::to_string(s.timeout.count()) + "ms";
  if (s.memoize.enabled)
    out["memoize"] = {{"enabled", true},
                      {"max_age", std::to_string(s.memoize.max_age.count()) + "ms"}};
  if (s.memory_mb > 0)
    out["memory_mb"] = s.memory_mb;
  return out;
}

} // namespace

caf::expected<std::chrono::milliseconds> parse_duration(const std::string& text) {
  static const std::map<std::string, int64_t> units = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"", 1}};
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  auto unit = units.find(text.substr(digits));
  if (digits == 0 || digits > 15 || unit == units.end())
    return caf::make_error(workflow_errc::invalid_spec, "not a duration: '" + text + "'");
  return std::chrono::milliseconds{std::stoll(text.substr(0, digits)) * unit->second};
}

int workflow_spec::index_of(const std::string& step) const {
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].name == step)
      return static_cast<int>(i);
  return -1;
}

caf::error workflow_spec::validate() const {
  if (name.empty())
    return caf::make_error(workflow_errc::invalid_spec, "the workflow has no name");
  if (steps.empty())
    return caf::make_error(workflow_errc::invalid_spec, name + ": the workflow has no steps");
  std::set<std::string> names;
  auto check_name = [&](const std::string& n) -> caf::error {
    if (n.empty() || n.find_first_of("[]#.{} ") != std::string::npos)
      return caf::make_error(workflow_errc::invalid_spec,
                             name + ": step name '" + n +
                                 "' must be non-empty without []#.{} or spaces");
    if (!names.insert(n).second)
      return caf::make_error(workflow_errc::invalid_spec,
                             name + ": two steps are named '" + n + "'");
    return {};
  };
  for (const auto& s : steps) {
    if (auto err = check_name(s.name))
      return err;
    if (s.type.empty())
      return caf::make_error(workflow_errc::invalid_spec,
                             name + ": step '" + s.name + "' has no type");
    bool any_async = false;
    for (const auto& d : s.depends) {
      if (index_of(d.step) < 0)
        return caf::make_error(workflow_errc::invalid_graph, name + ": step '" + s.name +
                                                                 "' depends on unknown step '" +
                                                                 d.step + "'");
      if (d.step == s.name)
        return caf::make_error(workflow_errc::invalid_graph,
                               name + ": step '" + s.name + "' depends on itself");
      any_async = any_async || d.async;
    }
    if (any_async && s.items)
      return caf::make_error(workflow_errc::invalid_spec,
                             name + ": step '" + s.name +
                                 "' cannot both fan out (for_each) and take async inputs");
  }
  if (exit_handler) {
    if (auto err = check_name(exit_handler->name))
      return err;
    if (!exit_handler->depends.empty() || exit_handler->items)
      return caf::make_error(workflow_errc::invalid_spec,
                             name + ": the exit handler takes no depends or for_each");
  }
  // Kahn's algorithm: every step must be reachable in a topological order.
  std::vector<int> indegree(steps.size(), 0);
  for (size_t i = 0; i < steps.size(); ++i)
    indegree[i] = static_cast<int>(steps[i].depends.size());
  std::vector<size_t> ready;
  for (size_t i = 0; i < steps.size(); ++i)
    if (indegree[i] == 0)
      ready.push_back(i);
  size_t ordered = 0;
  while (!ready.empty()) {
    auto i = ready.back();
    ready.pop_back();
    ++ordered;
    for (size_t j = 0; j < steps.size(); ++j)
      for (const auto& d : steps[j].depends)
        if (d.step == steps[i].name && --indegree[j] == 0)
          ready.push_back(j);
  }
  if (ordered != steps.size())
    return caf::make_error(workflow_errc::invalid_graph,
                           name + ": the step dependencies form a cycle");
  return {};
}

json workflow_spec::to_json() const {
  json out = {{"name", name}, {"parameters", parameters}};
  json list = json::array();
  for (const auto& s : steps)
    list.push_back(step_to_json(s));
  out["steps"] = std::move(list);
  if (exit_handler)
    out["exit_handler"] = step_to_json(*exit_handler);
  return out;
}

caf::expected<workflow_spec> workflow_spec::from_json(const json& doc, const std::string& source) {
  if (!doc.is_object())
    return spec_error(source, "expected a mapping at the top");
  workflow_spec spec;
  object_reader r{doc, source};
  if (auto err = r.string("name", spec.name, true))
    return err;
  if (auto v = r.get("parameters")) {
    if (!v->is_object())
      return spec_error(r.at("parameters"), "expected a mapping");
    spec.parameters = *v;
  }
  auto steps = r.get("steps");
  if (steps == nullptr || !steps->is_array())
    return spec_error(r.at("steps"), "expected a list of steps");
  for (size_t i = 0; i < steps->size(); ++i) {
    step_spec step;
    if (auto err = read_step((*steps)[i], r.at("steps[" + std::to_string(i) + "]"), step))
      return err;
    spec.steps.push_back(std::move(step));
  }
  if (auto v = r.get("exit_handler")) {
    step_spec step;
    if (auto err = read_step(*v, r.at("exit_handler"), step))
      return err;
    spec.exit_handler = std::move(step);
  }
  if (auto err = r.finish())
    return err;
  if (auto err = spec.validate())
    return err;
  return spec;
}

caf::expected<workflow_spec> parse_workflow_yaml(const std::string& text,
                                                 const std::string& source) {
  json doc;
  try {
    doc = yaml_to_json(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return spec_error(source, std::string{"not valid YAML: "} + e.what());
  }
  return workflow_spec::from_json(doc, source);
}

caf::expected<workflow_spec> load_workflow_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return spec_error(path, "cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_workflow_yaml(buffer.str(), path);
}

caf::error override_parameters(workflow_spec& spec, const std::vector<std::string>& key_values) {
  for (const auto& kv : key_values) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return caf::make_error(workflow_errc::invalid_spec,
                             "parameter '" + kv + "' is not key=value");
    auto value = json::parse(kv.substr(eq + 1), nullptr, false);
    spec.parameters[kv.substr(0, eq)] = value.is_discarded() ? json(kv.substr(eq + 1)) : value;
  }
  return caf::none;
}

std::string fresh_run_id(const std::string& workflow) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return workflow + "-" + std::to_string(ms) + "-" + suffix;
}

} // namespace dmlp::workflow
