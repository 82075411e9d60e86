// `{{…}}` templates in step parameters. A string that is exactly one template, e.g.
// "{{steps.train.outputs.accuracy}}", becomes the referenced JSON value with its type (a
// number, an array for a fan-out); templates inside longer strings are spliced in as text.
// Names are resolved by the caller's lookup (dag_scheduler knows item, workflow.* and
// steps.*). Plain functions; thread-safe.
#pragma once

#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace dmlp::workflow {

/// Resolves one expression such as "steps.a.outputs.x" (spaces trimmed).
using template_lookup = std::function<caf::expected<nlohmann::json>(const std::string&)>;

/// Resolves every template in `value` (objects and arrays recursively).
caf::expected<nlohmann::json> resolve_templates(const nlohmann::json& value,
                                                const template_lookup& lookup);

} // namespace dmlp::workflow
