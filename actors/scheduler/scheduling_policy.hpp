// The scheduler's decision logic: gang placement, priorities with preemption, fair-share order,
// backfill with a reservation against starvation, and elastic growth. A plain class: it takes a
// snapshot of nodes, running and pending jobs and the time, and returns what to start, shrink
// and preempt; the scheduler actor applies the decision. Deterministic; thread-safe (const).
//
// Rules, in the order they apply each round:
//  1. Pending jobs are ordered by effective priority (priority + one per aging_interval waited),
//     then by Dominant Resource Fairness (group, then user holding the smaller dominant share
//     first), then by submission.
//  2. A job's minimum gang is placed all together or not at all; nothing is held while a job
//     waits, so two half-placed jobs can never deadlock each other. Placement is best fit.
//  3. A job that does not fit may take capacity from running jobs of strictly lower priority:
//     first by shrinking elastic ones toward their minimum (lowest priority, latest started
//     first), and only if that is not enough by preempting whole jobs (lowest priority first;
//     then every preempted job whose capacity turned out not to be needed is spared, shrunk).
//     Preempted jobs are checkpointed and requeued by the actor. If even preempting every
//     candidate would not make room, nothing is touched.
//  4. Backfill: smaller jobs behind a blocked one may run on what is free. Once the blocked job
//     at the head of the queue has waited reserve_after, it reserves the nodes it needs: nothing
//     new starts there until it fits, so backfill cannot starve it.
//  5. Elastic growth: when no feasible job is left waiting and nothing was preempted, running
//     jobs below their maximum (and not shrunk this round) grow into free capacity, highest
//     priority first.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/scheduler/job.hpp"

namespace dmlp::scheduler {

/// Tunables of the policy (configs: `scheduler:`).
struct scheduling_options {
  /// Waiting time that raises a pending job's effective priority by one. Default: 60 s.
  int64_t aging_interval_ms = 60'000;
  /// Waiting time after which the blocked head of the queue reserves nodes. Default: 30 s.
  int64_t reserve_after_ms = 30'000;
};

/// Everything one decision looks at.
struct schedule_input {
  /// Nodes with capacity and labels.
  std::vector<node_state> nodes;
  /// Jobs with placed instances.
  std::vector<running_job> running;
  /// Jobs waiting for their gang.
  std::vector<pending_job> pending;
  /// The caller's clock, ms.
  int64_t now_ms = 0;
};

/// What the scheduler actor should do.
struct schedule_decision {
  /// Instances to start: gangs of pending jobs and growth of elastic ones.
  std::vector<placement> start;
  /// Instances of running elastic jobs to stop (shrink toward min).
  std::vector<placement> stop;
  /// Running jobs to checkpoint and requeue, in order.
  std::vector<std::string> preempt;
  /// Why each job that stays pending waits.
  std::map<std::string, std::string> pending_reasons;
  /// The job holding a reservation; empty when none.
  std::string reserved_for;
};

/// Gang scheduling with priorities, preemption, fair share and backfill.
class scheduling_policy {
public:
  explicit scheduling_policy(scheduling_options options = {}) : options_(options) {}

  /// Decides one scheduling round.
  schedule_decision decide(const schedule_input& input) const;

  /// priority + waited / aging_interval.
  int effective_priority(const pending_job& job, int64_t now_ms) const;

  /// The settings in force.
  const scheduling_options& options() const { return options_; }

private:
  scheduling_options options_;
};

} // namespace dmlp::scheduler
