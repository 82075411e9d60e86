#include "actors/workflow/step_registry.hpp"

#include <exception>

#include <caf/event_based_actor.hpp>

#include "actors/workflow/workflow_errors.hpp"
#include "messages/atoms.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::workflow {

namespace {

caf::behavior function_step(caf::event_based_actor*, step_function run, probe_function probe) {
  return {
      [run](step_run_atom, const step_request& req) -> caf::result<step_reply> {
        try {
          auto reply = run(req);
          if (!reply)
            return std::move(reply.error());
          return std::move(*reply);
        } catch (const std::exception& e) {
          return caf::make_error(step_errc::internal, req.instance + ": " + e.what());
        }
      },
      [probe](step_probe_atom, const step_request& req) -> caf::result<std::string> {
        if (!probe)
          return std::string{};
        try {
          auto token = probe(req);
          if (!token)
            return std::move(token.error());
          return std::move(*token);
        } catch (const std::exception& e) {
          return caf::make_error(step_errc::internal, req.instance + ": " + e.what());
        }
      },
  };
}

} // namespace

caf::actor spawn_function_step(caf::actor_system& sys, step_function run, probe_function probe,
                               bool dedicated_thread) {
  if (dedicated_thread)
    return sys.spawn<caf::detached>(function_step, std::move(run), std::move(probe));
  return sys.spawn(function_step, std::move(run), std::move(probe));
}

caf::error step_registry::add(step_type type) {
  if (type.name.empty() || !type.spawn)
    return caf::make_error(workflow_errc::invalid_spec, "a step type needs a name and a spawner");
  auto name = type.name;
  if (!types_.emplace(name, std::move(type)).second)
    return caf::make_error(workflow_errc::invalid_spec,
                           "step type '" + name + "' is registered twice");
  return {};
}

caf::error step_registry::add_function(std::string name, uint32_t version, step_function run,
                                       probe_function probe, bool dedicated_thread) {
  bool probes = static_cast<bool>(probe);
  step_type type;
  type.name = std::move(name);
  type.version = version;
  type.probes = probes;
  type.spawn = [run = std::move(run), probe = std::move(probe),
                dedicated_thread](caf::actor_system& sys) {
    return spawn_function_step(sys, run, probe, dedicated_thread);
  };
  return add(std::move(type));
}

const step_type* step_registry::find(const std::string& name) const {
  auto i = types_.find(name);
  return i == types_.end() ? nullptr : &i->second;
}

std::vector<std::string> step_registry::names() const {
  std::vector<std::string> out;
  for (const auto& kv : types_)
    out.push_back(kv.first);
  return out;
}

} // namespace dmlp::workflow
