// How an actor system joins the network for dmlp: configure_node_system() prepares the config
// of a node (dmlp's types and errors, the middleman with its heartbeat and automatic direct
// connections on, CAF's OpenSSL module when TLS is on), configure_client_system() that of a
// cluster client; publish_agent() opens the node's port; connector() is the middleman actor
// to connect through (plain or TLS); connect_agent() is a blocking connect with a finite
// timeout, for clients on a plain thread. Free functions; thread-safe as CAF's middleman is.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman_actor.hpp>

#include "runtime/cluster/node_options.hpp"

namespace dmlp::runtime {

/// Configures `cfg` for a node or client with `options` (detector, TLS). Call before the
/// actor system is built; validate TLS files first (validate_tls_files).
void configure_node_system(caf::actor_system_config& cfg, const node_options& options);

/// Configures `cfg` for a cluster client (the CLI, tests, benchmarks) that talks to `tls`
/// nodes: like a node, but without automatic direct connections. A client needs no mesh (what
/// it learns through one node is relayed by that node), and each automatic connection runs a
/// detached CAF 0.17 helper that ~actor_system waits for: a test's actor system that had
/// learned a node only indirectly hung at exit in await_detached_threads (a detached thread
/// waiting for its finished actor to be released).
void configure_client_system(caf::actor_system_config& cfg, const tls_options& tls);

/// Publishes `agent` on options.host:options.port (TLS when on); returns the bound port.
caf::expected<uint16_t> publish_agent(caf::actor_system& sys, const caf::actor& agent,
                                      const node_options& options);

/// The middleman actor that opens connections (the OpenSSL one when TLS is on).
caf::io::middleman_actor connector(caf::actor_system& sys, const tls_options& tls);

/// Whether this process repairs CAF 0.17's OpenSSL error handling (a refused TLS handshake
/// would otherwise drop established TLS connections; see detail/openssl_error_queue.hpp).
bool tls_error_queue_guarded();

/// Connects to the node agent at host:port; fails after `timeout`.
caf::expected<caf::actor> connect_agent(caf::actor_system& sys, const tls_options& tls,
                                        const std::string& host, uint16_t port,
                                        std::chrono::milliseconds timeout);

} // namespace dmlp::runtime
