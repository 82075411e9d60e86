// Every atom dmlp defines, in one place so names stay unique and readable. CAF 0.17 atoms are
// at most 10 characters; the alias names say what the message means.
#pragma once

#include <caf/atom.hpp>

namespace dmlp {

// -- supervision protocol ---------------------------------------------------------------------

/// Ask a supervisor for its children (replies std::vector<child_info>).
using which_children_atom = caf::atom_constant<caf::atom("children")>;
/// Ask a supervisor for its child counts (replies child_counts).
using count_children_atom = caf::atom_constant<caf::atom("count")>;
/// Add a child to a dynamic pool (simple_one_for_one) or a spec to a static supervisor.
using start_child_atom = caf::atom_constant<caf::atom("startchild")>;
/// Stop a child without restarting it; its spec stays (OTP terminate_child).
using terminate_child_atom = caf::atom_constant<caf::atom("termchild")>;
/// Start a terminated child again (OTP restart_child).
using restart_child_atom = caf::atom_constant<caf::atom("rstchild")>;
/// Remove a stopped child's spec, or stop and remove a pool member (OTP delete_child).
using delete_child_atom = caf::atom_constant<caf::atom("delchild")>;
/// Internal: a child's back-off delay has passed.
using restart_due_atom = caf::atom_constant<caf::atom("restartdue")>;
/// Internal: a child did not stop within its shutdown timeout.
using shutdown_timeout_atom = caf::atom_constant<caf::atom("shutdownto")>;

// -- fault injection --------------------------------------------------------------------------

/// Ask the fault injector to kill an actor (replies the killed actor's path).
using chaos_kill_atom = caf::atom_constant<caf::atom("chaoskill")>;

// -- demo workload ----------------------------------------------------------------------------

/// Ask the demo's dispatcher for its counters.
using demo_stats_atom = caf::atom_constant<caf::atom("demostats")>;
/// Ask a demo worker to compute one work item.
using demo_work_atom = caf::atom_constant<caf::atom("demowork")>;
/// Commit a computed work item to the demo's ledger.
using demo_commit_atom = caf::atom_constant<caf::atom("democommit")>;
/// Internal tick of the demo's dispatcher.
using demo_tick_atom = caf::atom_constant<caf::atom("demotick")>;

} // namespace dmlp
