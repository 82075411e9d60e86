// Names shared with children placed on other nodes. A child running on another node cannot
// read the node-local name registry of the tree that started it (name_registry.hpp), yet some
// roles find their peers by supervision path and follow their restarts (a trainer looks up its
// job's coordinator, master and shards). The requesting side puts a snapshot of its names under
// a prefix and a directory actor into the spawn_request; the hosting side starts the child with
// a mirror registry filled from the snapshot, so its first lookups succeed, and refreshes the
// mirror from the directory while the child lives, so restarted peers are found again.
// Thread-safe: free functions; the actors they spawn own their state.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/cluster.hpp"
#include "runtime/name_registry.hpp"

namespace dmlp::runtime {

/// The entries of `names` whose path starts with `prefix`.
std::vector<cluster_name> names_under(const name_registry& names, const std::string& prefix);

/// An actor answering (lookup_names_atom, prefix) with names_under(*names, prefix) until
/// `owner` (the supervisor whose children use it) exits.
caf::actor spawn_name_directory(caf::actor_system& sys, std::shared_ptr<name_registry> names,
                                const caf::actor& owner);

/// A registry holding the names a spawn_request carries.
std::shared_ptr<name_registry> mirror_registry(const spawn_request& request);

/// Keeps `mirror` equal to the request's directory's names under its prefix, asking every
/// `interval`, until `child` exits. Does nothing when the request shares no names.
void keep_mirror_fresh(caf::actor_system& sys, std::shared_ptr<name_registry> mirror,
                       const spawn_request& request, const caf::actor& child,
                       std::chrono::milliseconds interval);

} // namespace dmlp::runtime
