// The address a process tells others to connect to when it listens on `host`: the host itself,
// or the machine's host name when it listens on every interface (0.0.0.0 or empty), which a
// peer cannot connect to. The node agent advertises its membership entry with it, and ring
// links (actors/training/ring_link.hpp) the port each trainer listens on. Thread-safe.
#pragma once

#include <string>

namespace dmlp::runtime {

/// `host` unless it is a wildcard; then the host name ("localhost" if it cannot be read).
std::string advertised_host(const std::string& host);

} // namespace dmlp::runtime
