#include "runtime/cluster/cluster_client.hpp"

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/node_system.hpp"

namespace dmlp::runtime {

cluster_client::cluster_client(caf::actor_system& sys, tls_options tls,
                               std::chrono::milliseconds timeout)
    : sys_(sys), tls_(std::move(tls)), timeout_(timeout) {}

caf::expected<caf::actor> cluster_client::connect(const std::string& address) {
  auto addr = parse_address(address);
  if (!addr)
    return addr.error();
  return connect_agent(sys_, tls_, addr->first, addr->second, timeout_);
}

caf::expected<caf::actor> cluster_client::connect_any(const std::vector<std::string>& seeds) {
  caf::error last = caf::make_error(cluster_errc::invalid_argument, "no seed given");
  for (const auto& seed : seeds) {
    auto agent = connect(seed);
    if (agent)
      return agent;
    last = agent.error();
  }
  return last;
}

caf::expected<cluster_status> cluster_client::status(const caf::actor& agent) {
  caf::scoped_actor self{sys_};
  caf::expected<cluster_status> result = caf::make_error(cluster_errc::unreachable, "status");
  self->request(agent, timeout_, cl_status_atom::value)
      .receive([&](cluster_status& st) { result = std::move(st); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<caf::actor> cluster_client::resolve(const caf::actor& agent,
                                                  const std::string& name) {
  caf::scoped_actor self{sys_};
  caf::expected<caf::actor> result = caf::make_error(cluster_errc::unknown_name, name);
  self->request(agent, timeout_, cl_resolve_atom::value, name)
      .receive([&](caf::actor& handle) { result = std::move(handle); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::tuple<uint64_t, uint64_t, std::vector<std::string>>>
cluster_client::workload_stats(const caf::actor& workload) {
  caf::scoped_actor self{sys_};
  caf::expected<std::tuple<uint64_t, uint64_t, std::vector<std::string>>> result =
      caf::make_error(cluster_errc::unreachable, "workload");
  self->request(workload, timeout_, cl_wstats_atom::value)
      .receive(
          [&](uint64_t completed, uint64_t failed, std::vector<std::string>& placements) {
            result = std::make_tuple(completed, failed, std::move(placements));
          },
          [&](caf::error& err) { result = std::move(err); });
  return result;
}

nlohmann::json to_json(const cluster_status& status) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& m : status.nodes)
    nodes.push_back({{"name", m.name},
                     {"address", m.host + ":" + std::to_string(m.port)},
                     {"epoch", m.epoch},
                     {"state", to_string(m.state)},
                     {"labels", m.labels},
                     {"cpus", m.cpus},
                     {"memory_mb", m.memory_mb},
                     {"hosted", m.hosted}});
  nlohmann::json names = nlohmann::json::array();
  for (const auto& n : status.names)
    names.push_back({{"name", n.name}, {"node", n.node}});
  nlohmann::json hosted = nlohmann::json::array();
  for (const auto& h : status.hosted)
    hosted.push_back({{"path", h.path}, {"role", h.role}});
  return {{"node", status.node}, {"nodes", nodes}, {"names", names}, {"hosted", hosted}};
}

} // namespace dmlp::runtime
