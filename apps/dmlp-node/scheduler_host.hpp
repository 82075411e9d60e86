// The cluster's scheduler as a child of the head node's root supervisor. The head is the node
// started without seeds; it hosts the one scheduler of the cluster (actors/scheduler), fed by
// its node agent's membership, with its state in <data_dir>/scheduler (a file snapshot store,
// so a restarted scheduler — or a restarted head — keeps its queue and allocations), and
// registered as "scheduler" in the cluster registry every time it starts, where `dmlp jobs
// --seeds …` and other nodes find it. Not thread-safe (build it once in main).
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <spdlog/logger.h>

#include "runtime/child_spec.hpp"

namespace dmlp::node {

/// The scheduler child: membership from `agent`, state under `data_dir`/scheduler.
runtime::child_spec scheduler_host(caf::actor agent, const std::string& data_dir,
                                   std::shared_ptr<spdlog::logger> log);

} // namespace dmlp::node
