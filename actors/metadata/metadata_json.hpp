// JSON forms of the metadata protocol's values, for `dmlp runs`, `dmlp lineage` and any tool
// that prints metadata. Property and parameter fields are embedded as JSON, not as strings.
// Plain functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "messages/metadata.hpp"

namespace dmlp::metadata {

nlohmann::json to_json(const md_artifact& a);
nlohmann::json to_json(const md_context& c);
nlohmann::json to_json(const md_execution& x);
nlohmann::json to_json(const md_event& e);
nlohmann::json to_json(const md_run_summary& s);
nlohmann::json to_json(const md_run_detail& d);
nlohmann::json to_json(const md_lineage& l);

} // namespace dmlp::metadata
