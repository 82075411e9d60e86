// The supervision demo: a three-level supervision tree doing real, checkable work while actors
// are killed. Used by `dmlp demo supervision` and by the runtime chaos test.
//
//   demo (one_for_one)
//   ├── ledger       commits results idempotently; state restored from its snapshot
//   ├── workers      simple_one_for_one pool (its own, tighter restart intensity)
//   │   └── squarer-1 … squarer-N   compute one work item at a time
//   └── dispatcher   issues items 0, 1, 2, … to idle squarers, one each, and re-issues an item
//                    whose squarer or commit was lost; state restored from its snapshot
//
// Work item k has the value work_value(k) (a small arithmetic loop). The ledger keeps the set of
// committed items and the sum of their values. A squarer holds one item from issue until the
// ledger acknowledged its commit, so at most `workers` items are in flight; a commit the ledger
// did not acknowledge is retried with the computed value. What a kill may lose, exactly: a
// killed squarer its one item; a killed ledger nothing (commits are retried, the ledger
// persists before it acknowledges); a killed dispatcher or pool (or a pool escalation) at most
// every in-flight item, i.e. `workers`. Every lost item is issued again, so
// when the dispatcher drains, every issued item is committed exactly once and the value sum is
// exact; `lost` counts the items that had to be redone.
// Thread-safety: a supervision_demo is driven from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "runtime/services.hpp"
#include "runtime/snapshot_store.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::demo {

/// The most items one kill may lose: 1 for a squarer, 0 for the ledger, `workers` otherwise.
uint64_t loss_bound(const std::string& killed_path, uint32_t workers);

/// Settings of the demo tree.
struct demo_options {
  /// Squarers in the pool. Default: 4.
  uint32_t workers = 4;
  /// Restart intensity of the pool: more restarts than this per second escalate to the root.
  /// Default: 10.
  uint32_t pool_restarts_per_second = 10;
};

/// What the ledger and dispatcher report after a drain.
struct demo_totals {
  /// Distinct items committed.
  uint64_t committed = 0;
  /// Items issued (0 … issued-1).
  uint64_t issued = 0;
  /// Sum of committed values.
  uint64_t value_sum = 0;
  /// Items redone because a kill lost them.
  uint64_t lost = 0;
  /// Commits the ledger received for items it already had (retries after a lost reply).
  uint64_t duplicate_commits = 0;
};

/// The value of work item `k`.
uint64_t work_value(uint64_t k);

/// Σ work_value(k) for k < n.
uint64_t expected_sum(uint64_t n);

/// The demo's supervision spec; `snapshots` keeps ledger and dispatcher state across restarts.
runtime::supervisor_spec make_demo_spec(const demo_options& options,
                                        std::shared_ptr<runtime::snapshot_store> snapshots);

/// Stops issuing new items, waits until nothing is in flight, and returns the totals. Blocking;
/// retries while the dispatcher or ledger is being restarted.
caf::expected<demo_totals> drain(caf::actor_system& sys, const runtime::runtime_services& services);

} // namespace dmlp::demo
