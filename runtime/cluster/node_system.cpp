#include "runtime/cluster/node_system.hpp"

#include <algorithm>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "messages/register.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/detail/openssl_error_queue.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::runtime {

void configure_node_system(caf::actor_system_config& cfg, const node_options& options) {
  configure_actor_system(cfg);
  add_error_category(cfg, caf::atom("cluster"));
  register_cluster_error_names();
  cfg.load<caf::io::middleman>();
  // A frozen peer is only noticed with the middleman heartbeat on (off by default in 0.17).
  auto interval = std::chrono::duration_cast<caf::timespan>(options.detector.heartbeat_interval);
  auto timeout = std::chrono::duration_cast<caf::timespan>(options.detector.down_after);
  cfg.set("middleman.heartbeat-interval", interval);
  cfg.set("middleman.connection-timeout", timeout);
  // Direct connections between nodes that learned of each other through a third one. CAF 0.17
  // opens them over plain TCP even with the OpenSSL module loaded, where a TLS peer refuses
  // them, so with TLS on traffic is relayed.
  cfg.set("middleman.enable-automatic-connections", !options.tls.enabled);
  // Remote starts block a scheduler thread for up to one request timeout.
  cfg.set("scheduler.max-threads",
          static_cast<size_t>(std::max(4u, std::thread::hardware_concurrency())));
  if (options.tls.enabled) {
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.cafile", options.tls.ca);
    cfg.set("openssl.certificate", options.tls.certificate);
    cfg.set("openssl.key", options.tls.key);
    if (!options.tls.passphrase.empty())
      cfg.set("openssl.passphrase", options.tls.passphrase);
  }
}

void configure_client_system(caf::actor_system_config& cfg, const tls_options& tls) {
  node_options options;
  options.tls = tls;
  configure_node_system(cfg, options);
  cfg.set("middleman.enable-automatic-connections", false);
}

caf::expected<uint16_t> publish_agent(caf::actor_system& sys, const caf::actor& agent,
                                      const node_options& options) {
  const char* host = options.host.empty() ? nullptr : options.host.c_str();
  if (options.tls.enabled)
    return caf::openssl::publish(agent, options.port, host, true);
  return sys.middleman().publish(agent, options.port, host, true);
}

caf::io::middleman_actor connector(caf::actor_system& sys, const tls_options& tls) {
  return tls.enabled ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
}

bool tls_error_queue_guarded() {
  return detail::openssl_error_queue_guard_active();
}

caf::expected<caf::actor> connect_agent(caf::actor_system& sys, const tls_options& tls,
                                        const std::string& host, uint16_t port,
                                        std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  caf::expected<caf::actor> result =
      caf::make_error(cluster_errc::unreachable, host + ":" + std::to_string(port));
  self->request(connector(sys, tls), timeout, caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            if (ptr)
              result = caf::actor_cast<caf::actor>(std::move(ptr));
            else
              result = caf::make_error(cluster_errc::unreachable,
                                       host + ":" + std::to_string(port) + ": nothing published");
          },
          [&](caf::error& err) {
            result = caf::make_error(cluster_errc::unreachable,
                                     host + ":" + std::to_string(port) + ": " + sys.render(err));
          });
  return result;
}

} // namespace dmlp::runtime
