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
/// Ask the demo's ledger which items below a bound are not committed.
using demo_missing_atom = caf::atom_constant<caf::atom("demomiss")>;
/// Ask the demo's dispatcher to stop issuing and answer once nothing is in flight.
using demo_drain_atom = caf::atom_constant<caf::atom("demodrain")>;

// -- metadata protocol (messages/metadata.hpp) ------------------------------------------------

/// Insert or update a context (pipeline run, experiment).
using md_put_ctx_atom = caf::atom_constant<caf::atom("mdputctx")>;
/// Look a context up by type and name.
using md_get_ctx_atom = caf::atom_constant<caf::atom("mdgetctx")>;
/// Record an execution with its events and output artifacts, atomically.
using md_record_atom = caf::atom_constant<caf::atom("mdrecord")>;
/// Record runtime samples of executions.
using md_samples_atom = caf::atom_constant<caf::atom("mdsamples")>;
/// Read the runtime samples of one execution.
using md_get_smp_atom = caf::atom_constant<caf::atom("mdgetsmp")>;
/// List pipeline runs.
using md_list_runs_atom = caf::atom_constant<caf::atom("mdruns")>;
/// Everything recorded for one run.
using md_show_run_atom = caf::atom_constant<caf::atom("mdshowrun")>;
/// Lineage of an artifact (upstream, downstream or both).
using md_lineage_atom = caf::atom_constant<caf::atom("mdlineage")>;
/// Look up a memo entry by key.
using md_memo_get_atom = caf::atom_constant<caf::atom("mdmemoget")>;
/// Store a memo entry.
using md_memo_put_atom = caf::atom_constant<caf::atom("mdmemoput")>;
/// Mark a memo entry as reused now.
using md_memo_hit_atom = caf::atom_constant<caf::atom("mdmemohit")>;
/// Delete a memo entry (invalidation).
using md_memo_del_atom = caf::atom_constant<caf::atom("mdmemodel")>;
/// Remove memo entries not hit since a cut-off.
using md_memo_gc_atom = caf::atom_constant<caf::atom("mdmemogc")>;
/// Commit pending writes now; answered once they are durable.
using md_flush_atom = caf::atom_constant<caf::atom("mdflush")>;
/// Internal: the metadata actor's batch interval has passed.
using md_flush_due_atom = caf::atom_constant<caf::atom("mdflushdue")>;

// -- workflow protocol (messages/workflow.hpp) ------------------------------------------------

/// Ask a step actor to run a step_request.
using step_run_atom = caf::atom_constant<caf::atom("steprun")>;
/// Ask a step actor for the fingerprint of the external content it reads.
using step_probe_atom = caf::atom_constant<caf::atom("stepprobe")>;
/// Internal: a step instance's retry back-off has passed.
using wf_retry_atom = caf::atom_constant<caf::atom("wfretry")>;
/// Internal: time to take runtime samples of running steps.
using wf_sample_atom = caf::atom_constant<caf::atom("wfsample")>;
/// Engine to listener: a run finished (run id, status).
using wf_done_atom = caf::atom_constant<caf::atom("wfdone")>;
/// Engine to listener: a step instance changed state (run id, instance, state).
using wf_step_atom = caf::atom_constant<caf::atom("wfstep")>;

// -- serving ----------------------------------------------------------------------------------

/// Run an inference_request (router, shard router, replica; replies inference_result).
using infer_atom = caf::atom_constant<caf::atom("svinfer")>;
/// A replica announces itself ready to its router, with its replica_info.
using replica_up_atom = caf::atom_constant<caf::atom("svup")>;
/// Ask a replica to load and warm up another model version (replies replica_info).
using load_version_atom = caf::atom_constant<caf::atom("svload")>;
/// Tell a replica to drop a version once its queue for it is empty.
using unload_version_atom = caf::atom_constant<caf::atom("svunload")>;
/// Internal: a replica's batch delay has passed.
using batch_due_atom = caf::atom_constant<caf::atom("svbatchdue")>;
/// Ask a router for its router_stats.
using router_stats_atom = caf::atom_constant<caf::atom("svstats")>;
/// Internal: a router looks for a newer model version.
using check_versions_atom = caf::atom_constant<caf::atom("svversions")>;
/// Internal: a router's canary period is over; promote the canary.
using promote_atom = caf::atom_constant<caf::atom("svpromote")>;
/// Internal: a router expires requests that waited too long for a replica.
using wait_due_atom = caf::atom_constant<caf::atom("svwaitdue")>;
/// Ask a router to answer once at least N replicas are ready (replies router_stats).
using await_ready_atom = caf::atom_constant<caf::atom("svawait")>;
/// Internal: the autoscaler's periodic decision.
using scale_tick_atom = caf::atom_constant<caf::atom("svscale")>;

// -- ingest protocol (messages/ingest.hpp) ----------------------------------------------------

/// Ask an ingest coordinator for its progress (replies ingest_status).
using ingest_status_atom = caf::atom_constant<caf::atom("ingstatus")>;
/// Internal: a restored coordinator's deadline for trainers to re-attach has passed.
using ingest_lease_atom = caf::atom_constant<caf::atom("inglease")>;
/// Internal: a coordinator's group-commit interval has passed; save the ledger and send.
using ingest_commit_atom = caf::atom_constant<caf::atom("ingcommit")>;
/// Pause an ingest coordinator: it issues no further batch (batches already issued stay
/// outstanding); replies ingest_status once the ledger it reports is saved.
using ingest_pause_atom = caf::atom_constant<caf::atom("ingpause")>;
/// A coordinator to itself: ask the fence actor about a lost trainer again (it was restarting).
using ingest_fence_retry_atom = caf::atom_constant<caf::atom("ingfretry")>;

// -- cluster (runtime/cluster, messages/cluster.hpp) ------------------------------------------

/// A node asks a member to let it in (join_request; replies std::vector<member_info>).
using cl_join_atom = caf::atom_constant<caf::atom("cljoin")>;
/// Periodic liveness + view gossip between node agents (node_heartbeat).
using cl_beat_atom = caf::atom_constant<caf::atom("clbeat")>;
/// Internal: a node agent's heartbeat timer.
using cl_tick_atom = caf::atom_constant<caf::atom("cltick")>;
/// Ask a node agent for its cluster_status.
using cl_status_atom = caf::atom_constant<caf::atom("clstatus")>;
/// Ask a node agent to start a role actor (spawn_request; replies caf::actor).
using cl_spawn_atom = caf::atom_constant<caf::atom("clspawn")>;
/// Register a name in the cluster registry (name, actor).
using cl_reg_atom = caf::atom_constant<caf::atom("clreg")>;
/// Resolve a name of the cluster registry (name; replies caf::actor).
using cl_resolve_atom = caf::atom_constant<caf::atom("clresolve")>;
/// Ask a name directory for the names under a prefix (replies std::vector<cluster_name>).
using lookup_names_atom = caf::atom_constant<caf::atom("lookupname")>;
/// Subscribe an actor to membership_events.
using cl_sub_atom = caf::atom_constant<caf::atom("clsub")>;
/// A node leaves on purpose (name, epoch).
using cl_leave_atom = caf::atom_constant<caf::atom("clleave")>;
/// To an old incarnation: the cluster declared you down (name, epoch).
using cl_down_atom = caf::atom_constant<caf::atom("clyoudown")>;
/// Internal: a seed connect finished (host, port, agent or error).
using cl_seed_atom = caf::atom_constant<caf::atom("clseed")>;
/// Work item for the demo workload's role actors (value; replies value², node name).
using cl_work_atom = caf::atom_constant<caf::atom("clwork")>;
/// Ask the demo workload driver for its counters.
using cl_wstats_atom = caf::atom_constant<caf::atom("clwstats")>;

// -- training protocol (messages/training.hpp) ------------------------------------------------

/// Trainer → job master: join or re-join (train_hello).
using train_hello_atom = caf::atom_constant<caf::atom("trhello")>;
/// Trainer → job master: the ingest job finished an epoch (ingest_epoch_end).
using train_epoch_atom = caf::atom_constant<caf::atom("trepoch")>;
/// Master → trainer: adopt a replica state (train_state).
using train_state_atom = caf::atom_constant<caf::atom("trstate")>;
/// Ask a trainer for its replica state (replies train_state).
using train_get_state_atom = caf::atom_constant<caf::atom("trgetstate")>;
/// Master → trainers: the step's sum may be applied (step number).
using train_commit_atom = caf::atom_constant<caf::atom("trcommit")>;
/// Master → trainers: the step is void, keep the batch (step number).
using train_abort_atom = caf::atom_constant<caf::atom("trabort")>;
/// Internal: a trainer waited long enough for a batch and contributes nothing.
using train_idle_atom = caf::atom_constant<caf::atom("tridle")>;
/// Master → trainers (ps): live worker count, for the learning-rate scaling rule.
using train_workers_atom = caf::atom_constant<caf::atom("trworkers")>;
/// Ask the job master for the final state once the job finished (replies train_state).
using train_result_atom = caf::atom_constant<caf::atom("trresult")>;
/// Internal: a trainer looks up a restarted peer (coordinator or shard) again.
using train_retry_atom = caf::atom_constant<caf::atom("trretry")>;
/// Ask a parameter-server shard for its slice (replies ps_params).
using ps_pull_atom = caf::atom_constant<caf::atom("pspull")>;
/// Ask a parameter-server shard to write its checkpoint now (replies void).
using ps_checkpoint_atom = caf::atom_constant<caf::atom("psckpt")>;
/// Internal: a job master sends its member list again to parameter-server shards, one of which
/// restarted (it may have missed a change while it was down).
using ps_resend_atom = caf::atom_constant<caf::atom("psresend")>;
/// Ask a job master to stop the job at a step boundary and save its state; train_result then
/// answers training_errc::stopped.
using train_stop_atom = caf::atom_constant<caf::atom("trstop")>;
/// Internal: a stopping job master asks its coordinator again whether the job drained.
using train_drain_atom = caf::atom_constant<caf::atom("trdrain")>;

// -- scheduler protocol (messages/scheduler.hpp) ----------------------------------------------

/// Submit a job_submission to the scheduler (replies the job id).
using sched_submit_atom = caf::atom_constant<caf::atom("scsubmit")>;
/// List every job the scheduler knows (replies std::vector<job_status>).
using sched_list_atom = caf::atom_constant<caf::atom("sclist")>;
/// Client → scheduler: cancel a job (replies job_status); scheduler → owner: stop, cancelled.
using sched_cancel_atom = caf::atom_constant<caf::atom("sccancel")>;
/// Scheduler → owner: checkpoint and stop the job (reply its id once stopped; it is requeued).
using sched_preempt_atom = caf::atom_constant<caf::atom("scpreempt")>;
/// Owner → scheduler: the job is done (replies job_status).
using sched_finish_atom = caf::atom_constant<caf::atom("scfinish")>;
/// Internal: the scheduler's periodic round.
using sched_tick_atom = caf::atom_constant<caf::atom("sctick")>;
/// Internal: run a scheduling round after the current message (so its reply goes first).
using sched_round_atom = caf::atom_constant<caf::atom("scround")>;

} // namespace dmlp
