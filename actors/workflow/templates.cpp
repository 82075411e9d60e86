#include "actors/workflow/templates.hpp"

#include "actors/workflow/workflow_errors.hpp"

namespace dmlp::workflow {

namespace {

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(' ');
  if (first == std::string::npos)
    return {};
  auto last = s.find_last_not_of(' ');
  return s.substr(first, last - first + 1);
}

caf::expected<nlohmann::json> resolve_string(const std::string& text,
                                             const template_lookup& lookup) {
  auto open = text.find("{{");
  if (open == std::string::npos)
    return nlohmann::json(text);
  auto close = text.find("}}", open);
  if (open == 0 && close == text.size() - 2)
    return lookup(trim(text.substr(2, text.size() - 4)));
  std::string out;
  size_t pos = 0;
  while ((open = text.find("{{", pos)) != std::string::npos) {
    close = text.find("}}", open);
    if (close == std::string::npos)
      return caf::make_error(workflow_errc::template_error, "unclosed '{{' in '" + text + "'");
    out += text.substr(pos, open - pos);
    auto value = lookup(trim(text.substr(open + 2, close - open - 2)));
    if (!value)
      return value;
    out += value->is_string() ? value->get<std::string>() : value->dump();
    pos = close + 2;
  }
  out += text.substr(pos);
  return nlohmann::json(out);
}

} // namespace

caf::expected<nlohmann::json> resolve_templates(const nlohmann::json& value,
                                                const template_lookup& lookup) {
  if (value.is_string())
    return resolve_string(value.get<std::string>(), lookup);
  if (value.is_object() || value.is_array()) {
    auto out = value;
    for (auto& [key, item] : value.items()) {
      auto resolved = resolve_templates(item, lookup);
      if (!resolved)
        return resolved;
      if (value.is_object())
        out[key] = std::move(*resolved);
      else
        out[std::stoul(key)] = std::move(*resolved);
    }
    return out;
  }
  return value;
}

} // namespace dmlp::workflow
