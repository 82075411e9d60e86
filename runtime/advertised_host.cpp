#include "runtime/advertised_host.hpp"

#include <unistd.h>

namespace dmlp::runtime {

std::string advertised_host(const std::string& host) {
  if (!host.empty() && host != "0.0.0.0")
    return host;
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0)
    return "localhost";
  return name;
}

} // namespace dmlp::runtime
