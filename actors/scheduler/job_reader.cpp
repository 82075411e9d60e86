#include "actors/scheduler/job_reader.hpp"

#include "runtime/errors.hpp"

namespace dmlp::scheduler {

namespace {

caf::error invalid(const runtime::config_reader& reader, const std::string& key,
                   const std::string& what) {
  return caf::make_error(runtime::runtime_errc::config_invalid_value,
                         reader.where(key) + ": " + what);
}

caf::error read_role(runtime::config_reader& reader, role_request& role) {
  if (auto err = reader.require("role", role.role))
    return err;
  if (role.role.empty())
    return invalid(reader, "role", "must not be empty");
  if (auto err = reader.read("cpus", role.per_instance.cpus))
    return err;
  if (auto err = reader.read("memory_mb", role.per_instance.memory_mb))
    return err;
  if (auto err = reader.read("gpus", role.per_instance.gpus))
    return err;
  for (const char* key : {"cpus", "memory_mb", "gpus"}) {
    double value = 0;
    reader.read(key, value);
    if (value < 0)
      return invalid(reader, key, "must not be negative");
  }
  std::vector<std::string> selector;
  if (auto err = reader.read("selector", selector))
    return err;
  for (const auto& label : selector) {
    auto eq = label.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid(reader, "selector", "expected labels like role=trainer, got '" + label + "'");
    role.selector[label.substr(0, eq)] = label.substr(eq + 1);
  }
  if (auto err = reader.read("min", role.min))
    return err;
  role.max = role.min;
  if (auto err = reader.read("max", role.max))
    return err;
  if (role.max == 0 || role.max < role.min)
    return invalid(reader, "max", "must be at least min and at least 1");
  return reader.finish();
}

} // namespace

caf::error read_job_spec(runtime::config_reader& reader, job_spec& spec) {
  if (reader.has("id") && reader.has("name"))
    return invalid(reader, "name", "give either id or name, not both");
  if (auto err = reader.read("id", spec.id))
    return err;
  if (auto err = reader.read("name", spec.id))
    return err;
  spec.user = "default";
  spec.group = "default";
  if (auto err = reader.read("user", spec.user))
    return err;
  if (auto err = reader.read("group", spec.group))
    return err;
  int64_t priority = 0;
  if (auto err = reader.read("priority", priority))
    return err;
  spec.priority = static_cast<int>(priority);
  if (!reader.has("roles"))
    return caf::make_error(runtime::runtime_errc::config_missing_key,
                           reader.where("roles") + ": required key is missing");
  auto roles = reader.sections("roles");
  if (!roles)
    return roles.error();
  if (roles->empty())
    return invalid(reader, "roles", "needs at least one role");
  spec.roles.clear();
  for (auto& role_reader : *roles) {
    role_request role;
    if (auto err = read_role(role_reader, role))
      return err;
    spec.roles.push_back(std::move(role));
  }
  return caf::none;
}

} // namespace dmlp::scheduler
