// Fault injection for chaos tests and the CLI: kills an actor of a supervision tree by path,
// by CAF actor id, or at random from a subtree, with a chosen exit reason. It walks the tree by
// asking each supervisor for its children (which_children), so it works on any tree it can
// reach, local or remote. Blocking calls on a scoped actor: use it from a plain thread, not
// from inside an actor. The random generator is seeded by the caller. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/supervision.hpp"

namespace dmlp::runtime {

/// One actor found in a tree walk.
struct tree_entry {
  /// Full path, e.g. "demo/workers/squarer-2".
  std::string path;
  /// The running instance.
  caf::actor handle;
  /// Worker or supervisor.
  child_kind kind = child_kind::worker;
};

/// Parses "kill", "shutdown", "error" or "normal" into a CAF exit reason; nullopt otherwise.
std::optional<caf::error> parse_exit_reason(const std::string& name);

/// Kills actors of one supervision tree.
class fault_injector {
public:
  /// `root` is the tree's root supervisor, whose path is `root_path`.
  fault_injector(caf::actor_system& sys, caf::actor root, std::string root_path, uint64_t seed,
                 std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Every running actor below the root (the root excluded), parents before children.
  caf::expected<std::vector<tree_entry>> walk();

  /// Kills the actor at `path`; returns what was killed.
  caf::expected<tree_entry> kill_by_name(const std::string& path, const caf::error& reason);

  /// Kills the actor with CAF id `id`.
  caf::expected<tree_entry> kill_by_id(uint64_t id, const caf::error& reason);

  /// Kills one actor chosen uniformly below `subtree` (a path; the root's path for all).
  /// Supervisors are candidates only with `include_supervisors`.
  caf::expected<tree_entry> kill_random(const std::string& subtree, const caf::error& reason,
                                        bool include_supervisors = false);

private:
  caf::expected<tree_entry> kill(tree_entry target, const caf::error& reason);

  caf::actor_system& sys_;
  caf::actor root_;
  std::string root_path_;
  std::mt19937_64 rng_;
  std::chrono::milliseconds timeout_;
};

} // namespace dmlp::runtime
