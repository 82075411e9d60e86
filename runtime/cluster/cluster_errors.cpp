#include "runtime/cluster/cluster_errors.hpp"

#include "messages/error_names.hpp"

namespace dmlp::runtime {

std::string to_string(cluster_errc code) {
  switch (code) {
    case cluster_errc::bad_token:
      return "bad_token";
    case cluster_errc::no_eligible_node:
      return "no_eligible_node";
    case cluster_errc::unknown_role:
      return "unknown_role";
    case cluster_errc::unreachable:
      return "unreachable";
    case cluster_errc::bad_certificate:
      return "bad_certificate";
    case cluster_errc::stale_incarnation:
      return "stale_incarnation";
    case cluster_errc::unknown_name:
      return "unknown_name";
    case cluster_errc::invalid_argument:
      return "invalid_argument";
  }
  return "cluster_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_cluster_error_names() {
  add_error_names(caf::atom("cluster"),
                  [](uint8_t code) { return to_string(static_cast<cluster_errc>(code)); });
}

} // namespace dmlp::runtime
