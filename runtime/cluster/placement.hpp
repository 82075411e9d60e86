// Where a remotely supervised child may run, and the policy that picks a node. A placement
// names a node, a label ("role=trainer"), a custom function over the live members, or any
// node. choose_node() is a plain function (no actor, no clock): among the members in state up
// that satisfy the placement it prefers nodes other than `avoid` (where the previous instance
// died), then the fewest hosted children, then name order. Thread-safe (pure).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/cluster.hpp"

namespace dmlp::runtime {

/// A child's placement rule.
struct placement {
  /// How the node is chosen.
  enum class kind {
    /// Any live node.
    any,
    /// The node called `value`.
    node,
    /// Nodes that carry the label `value` ("key=value").
    label,
    /// `choose` picks among the live nodes.
    function,
  };
  /// The rule. Default: any.
  kind how = kind::any;
  /// Node name or label, depending on `how`.
  std::string value;
  /// For kind::function: returns the chosen node's name, or nullopt when none fits.
  std::function<std::optional<std::string>(const std::vector<member_info>& live)> choose;

  /// Any live node.
  static placement anywhere() { return {}; }
  /// The node called `name`.
  static placement on_node(std::string name) { return {kind::node, std::move(name), {}}; }
  /// A node carrying `label`, e.g. "role=worker".
  static placement with_label(std::string label) { return {kind::label, std::move(label), {}}; }
  /// A node picked by `fn`.
  static placement
  by(std::function<std::optional<std::string>(const std::vector<member_info>&)> fn) {
    return {kind::function, {}, std::move(fn)};
  }
};

/// "any", "node=NAME", "label=KEY=VALUE" or "function".
std::string to_string(const placement& where);

/// Parses "any", "node:NAME" or "label:KEY=VALUE" (configs); an error otherwise.
caf::expected<placement> parse_placement(const std::string& text);

/// Whether `node` carries `label`.
bool has_label(const member_info& node, const std::string& label);

/// Picks a node for `where` among `members` (see the header comment); an error
/// cluster_errc::no_eligible_node when none fits.
caf::expected<member_info> choose_node(const std::vector<member_info>& members,
                                       const placement& where, const std::string& avoid = "");

} // namespace dmlp::runtime
