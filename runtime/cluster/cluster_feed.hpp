// The cluster as seen from a process outside it (`dmlp train --seeds`, `dmlp pipeline run
// --seeds`): keeps a cluster_view of the live members so that remote_worker can place children
// there. A thread asks a node agent for the membership every `interval` and connects directly
// to every live member's agent, whose direct handle it puts into the view: spawn requests then
// go straight to the chosen node, the actors placed there are reached without a relay, and the
// loss of their node is seen at once (the direct connection drops) rather than through another
// node. When the agent it asks is lost it asks another live member, then the seeds again.
// Not copyable; the destructor stops the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/cluster_view.hpp"

namespace dmlp::runtime {

/// Feeds a cluster_view from outside the cluster.
class cluster_feed {
public:
  /// Fills `view` once (an error when no seed answers or no member is up), then keeps it fresh.
  /// `sys` must be configured with configure_client_system() and outlive the feed.
  static caf::expected<std::unique_ptr<cluster_feed>>
  start(caf::actor_system& sys, std::vector<std::string> seeds, tls_options tls,
        std::shared_ptr<cluster_view> view,
        std::chrono::milliseconds interval = std::chrono::milliseconds{200});

  cluster_feed(const cluster_feed&) = delete;
  cluster_feed& operator=(const cluster_feed&) = delete;
  ~cluster_feed();

private:
  cluster_feed(caf::actor_system& sys, std::vector<std::string> seeds, tls_options tls,
               std::shared_ptr<cluster_view> view, std::chrono::milliseconds interval);
  caf::error refresh();
  caf::expected<cluster_status> ask_any();
  void run();

  cluster_client client_;
  std::vector<std::string> seeds_;
  std::shared_ptr<cluster_view> view_;
  std::chrono::milliseconds interval_;
  caf::actor source_;
  // Direct agent handles by node name, with the incarnation they belong to.
  std::map<std::string, std::pair<uint64_t, caf::actor>> direct_;
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace dmlp::runtime
