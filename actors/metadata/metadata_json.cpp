#include "actors/metadata/metadata_json.hpp"

namespace dmlp::metadata {

namespace {

nlohmann::json embedded(const std::string& text) {
  auto v = nlohmann::json::parse(text, nullptr, false);
  return v.is_discarded() ? nlohmann::json(text) : v;
}

template <class T> nlohmann::json list(const std::vector<T>& xs) {
  auto out = nlohmann::json::array();
  for (const auto& x : xs)
    out.push_back(to_json(x));
  return out;
}

} // namespace

nlohmann::json to_json(const md_artifact& a) {
  return {{"id", a.id},
          {"type", a.type},
          {"uri", a.uri},
          {"digest", a.digest},
          {"properties", embedded(a.properties)},
          {"created_ms", a.created_ms}};
}

nlohmann::json to_json(const md_context& c) {
  return {{"id", c.id},
          {"type", c.type},
          {"name", c.name},
          {"state", c.state},
          {"properties", embedded(c.properties)},
          {"created_ms", c.created_ms},
          {"updated_ms", c.updated_ms}};
}

nlohmann::json to_json(const md_execution& x) {
  return {{"id", x.id},
          {"context_id", x.context_id},
          {"type", x.type},
          {"name", x.name},
          {"state", x.state},
          {"start_ms", x.start_ms},
          {"end_ms", x.end_ms},
          {"parameters", embedded(x.parameters)},
          {"outputs", embedded(x.outputs)},
          {"exit_reason", x.exit_reason},
          {"attempt", x.attempt},
          {"properties", embedded(x.properties)}};
}

nlohmann::json to_json(const md_event& e) {
  return {{"execution_id", e.execution_id},
          {"artifact_id", e.artifact_id},
          {"kind", e.kind},
          {"name", e.name}};
}

nlohmann::json to_json(const md_run_summary& s) {
  auto out = to_json(s.context);
  out["executions"] = s.executions;
  out["complete"] = s.complete;
  out["memoized"] = s.memoized;
  out["failed"] = s.failed;
  return out;
}

nlohmann::json to_json(const md_run_detail& d) {
  auto executions = list(d.executions);
  for (size_t i = 0; i < executions.size() && i < d.sample_counts.size(); ++i)
    executions[i]["samples"] = d.sample_counts[i];
  return {{"run", to_json(d.context)},
          {"executions", executions},
          {"events", list(d.events)},
          {"artifacts", list(d.artifacts)}};
}

nlohmann::json to_json(const md_lineage& l) {
  return {{"artifact", to_json(l.root)},
          {"artifacts", list(l.artifacts)},
          {"executions", list(l.executions)},
          {"events", list(l.events)}};
}

} // namespace dmlp::metadata
