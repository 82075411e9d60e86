// How a supervisor starts, restarts and stops one child (OTP's child specification), and the
// context a start factory receives. A factory may spawn the child locally or elsewhere; it
// returns the child's handle or an error. A child spec may name a snapshot store: the
// supervisor loads the newest snapshot under the child's path before each start and hands it
// over, so a restarted child resumes where its last saved state left it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "messages/snapshot_codec.hpp"
#include "messages/supervision.hpp"
#include "runtime/services.hpp"
#include "runtime/snapshot_store.hpp"

namespace dmlp::runtime {

/// When a child is restarted (OTP restart types).
enum class restart_type : uint8_t {
  /// Always restarted.
  permanent,
  /// Restarted only after an abnormal exit (not normal, not user_shutdown).
  transient,
  /// Never restarted; removed when it exits.
  temporary,
};

/// How a child is stopped.
struct shutdown_spec {
  /// Kill at once (exit_reason::kill) instead of asking.
  bool brutal = false;
  /// With brutal == false: wait this long after exit_reason::user_shutdown, then kill.
  std::chrono::milliseconds timeout{5000};

  /// Kills the child unconditionally.
  static shutdown_spec brutal_kill() { return {true, std::chrono::milliseconds{0}}; }
  /// Asks the child to stop and kills it after `timeout`.
  static shutdown_spec after(std::chrono::milliseconds timeout) { return {false, timeout}; }
};

/// What a start factory gets.
struct start_context {
  /// The actor system to spawn in.
  caf::actor_system& system;
  /// The supervisor that starts the child.
  caf::actor supervisor;
  /// The child's full path, e.g. "demo/workers/squarer-1".
  std::string path;
  /// The child's id among its siblings, e.g. "squarer-1".
  std::string id;
  /// How often this child was restarted before this start.
  uint32_t restarts = 0;
  /// Extra arguments of a dynamic pool member (start_child); empty otherwise.
  caf::message args;
  /// The store the child saves its state to; null when the spec names none.
  std::shared_ptr<snapshot_store> snapshots;
  /// The newest snapshot under `path` at start time, if any.
  std::optional<snapshot_record> snapshot;
  /// Services of the tree, for nested supervisors and lookups.
  runtime_services services;
};

/// Starts one child; returns its handle.
using start_function = std::function<caf::expected<caf::actor>(const start_context&)>;

/// A child specification.
struct child_spec {
  /// Unique among siblings; also the last component of the child's path.
  std::string id;
  /// Starts the child.
  start_function start;
  /// Restart type. Default: permanent.
  restart_type restart = restart_type::permanent;
  /// Shutdown. Default: ask, then kill after 5 s (supervisors: 30 s).
  shutdown_spec shutdown;
  /// Worker or supervisor.
  child_kind kind = child_kind::worker;
  /// Where the child's state comes back from on restart; null for stateless children.
  std::shared_ptr<snapshot_store> snapshots;

  /// Sets the restart type.
  child_spec& with_restart(restart_type type) {
    restart = type;
    return *this;
  }
  /// Sets the shutdown.
  child_spec& with_shutdown(shutdown_spec spec) {
    shutdown = spec;
    return *this;
  }
  /// Names the snapshot store of the child's state.
  child_spec& with_snapshots(std::shared_ptr<snapshot_store> store) {
    snapshots = std::move(store);
    return *this;
  }
};

/// A worker child started by `start`.
child_spec worker(std::string id, start_function start);

} // namespace dmlp::runtime
