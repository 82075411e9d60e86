// The membership table of one node: every known node incarnation with its state, driven by
// heartbeats, gossip and connection losses, plus the names each member registered. A plain
// class with no actor inside: the node agent (node_agent.hpp) feeds it messages and the time,
// and acts on the events it returns; unit tests drive it with a fake clock. Not thread-safe.
//
// Rules (docs/cluster.md):
// - Identity is (name, epoch). One incarnation per name is kept; a new epoch replaces the old
//   one, which is declared down.
// - down and left are final: a tombstoned incarnation never comes back (its heartbeats get the
//   verdict `stale`; the agent then tells it to start a new incarnation).
// - Strangers are not let in by heartbeats: a node enters by admit() (after the agent checked
//   its join token) or through the view of a member (a member admitted it), as `joining`, and
//   turns `up` with its first direct heartbeat.
// - Failure detection: no heartbeat for suspect_after → suspect; for down_after → down.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "messages/cluster.hpp"

namespace dmlp::runtime {

/// Heartbeat failure-detector settings (configs: `cluster:`).
struct failure_detector_options {
  /// How often each node sends its heartbeat. Default: 200 ms.
  std::chrono::milliseconds heartbeat_interval{200};
  /// Silence after which a member is suspect. Default: 600 ms.
  std::chrono::milliseconds suspect_after{600};
  /// Silence after which a member is down. Default: 1200 ms.
  std::chrono::milliseconds down_after{1200};
  /// How long down/left members stay listed before they are dropped. Default: 60 s.
  std::chrono::milliseconds forget_after{60000};
};

/// One node's view of the cluster.
class membership {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// What a heartbeat turned out to be.
  enum class verdict {
    /// From a member (or a joining node) we know: recorded.
    accepted,
    /// From an incarnation already declared down or left.
    stale,
    /// From a node nobody admitted: ignored.
    unknown,
  };

  /// `self` is this node (its state is forced to up).
  membership(member_info self, failure_detector_options options, time_point now);

  /// This node's entry.
  const member_info& self() const { return self_; }

  /// Updates this node's labels, load or agent (not its identity).
  void update_self(const member_info& self);

  /// Names registered on this node.
  void set_self_names(std::vector<cluster_name> names) { self_names_ = std::move(names); }

  /// Starts a new incarnation of this node: new epoch, every other member forgotten, their
  /// tombstones included (the old epochs of this node stay final).
  void reincarnate(uint64_t epoch, time_point now);

  /// Lets `node` in after its token was checked: up now; replaces an older incarnation.
  std::vector<membership_event> admit(const member_info& node, time_point now);

  /// Records a heartbeat of `from` carrying its registered `names`.
  verdict heartbeat(const member_info& from, std::vector<cluster_name> names, time_point now,
                    std::vector<membership_event>& events);

  /// Merges another member's view (learns new nodes, newer incarnations and final states).
  void merge(const std::vector<member_info>& view, time_point now,
             std::vector<membership_event>& events);

  /// Applies the failure detector's timeouts and forgets old final entries.
  std::vector<membership_event> tick(time_point now);

  /// Declares (name, epoch) down (e.g. its agent's connection was lost).
  std::vector<membership_event> mark_down(const std::string& name, uint64_t epoch, time_point now);

  /// Records that (name, epoch) left on purpose.
  std::vector<membership_event> mark_left(const std::string& name, uint64_t epoch, time_point now);

  /// Whether some member's view declared this incarnation down (then reincarnate()).
  bool self_declared_down() const { return self_declared_down_; }

  /// Every known incarnation (this node first, then by name).
  std::vector<member_info> members() const;

  /// Members in state up (this node included).
  std::vector<member_info> up_members() const;

  /// The entry of `name`, or nullptr.
  const member_info* find(const std::string& name) const;

  /// Whether (name, epoch) is down or left for good.
  bool is_final(const std::string& name, uint64_t epoch) const;

  /// Names registered on live nodes (up or suspect), this node's included.
  std::vector<cluster_name> names() const;

  /// The detector settings.
  const failure_detector_options& options() const { return options_; }

private:
  struct entry {
    member_info info;
    time_point last_seen;
    time_point changed;
    std::vector<cluster_name> names;
  };

  void set_state(entry& e, member_state state, time_point now,
                 std::vector<membership_event>& events);
  void replace(const member_info& node, member_state state, time_point now,
               std::vector<membership_event>& events);
  static bool alive(member_state s) { return s != member_state::down && s != member_state::left; }

  member_info self_;
  failure_detector_options options_;
  std::map<std::string, entry> others_;
  std::set<std::pair<std::string, uint64_t>> tombstones_;
  std::vector<cluster_name> self_names_;
  bool self_declared_down_ = false;
};

} // namespace dmlp::runtime
