// Error codes of the cluster layer (runtime/cluster): joining, placement, remote spawn and node
// credentials. Each value says whether a retry can help. Registered by configure_node_system().
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp::runtime {

/// Why a cluster operation failed.
enum class cluster_errc : uint8_t {
  /// The join token did not match the cluster's. Retry: no.
  bad_token = 1,
  /// No live node satisfies the child's placement. Retry: yes, after back-off.
  no_eligible_node,
  /// The target node has no factory for this role. Retry: no (on that node).
  unknown_role,
  /// The node could not be reached (connect failed or timed out). Retry: yes.
  unreachable,
  /// A certificate, key or CA file is missing or invalid. Retry: no.
  bad_certificate,
  /// The sender is an incarnation the cluster already declared down. Retry: as a new one.
  stale_incarnation,
  /// The name is not in the cluster registry. Retry: later, maybe.
  unknown_name,
  /// Bad command-line or configuration input for a node. Retry: no.
  invalid_argument,
};

/// Returns the code's name, e.g. "bad_token".
std::string to_string(cluster_errc code);

/// Makes describe() print cluster error names.
void register_cluster_error_names();

} // namespace dmlp::runtime

CAF_ERROR_CODE_ENUM(dmlp::runtime::cluster_errc, "cluster")
