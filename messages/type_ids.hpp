// dmlp's single CAF type-id block: every message type that may cross an actor boundary is
// listed here, and every actor system registers the whole block through
// dmlp::register_message_types (messages/register.hpp). CAF 0.17 fails quietly on an
// unregistered type (the request errors with unexpected_message), so add new types here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/type_id.hpp>

#include "messages/atoms.hpp"
#include "messages/cluster.hpp"
#include "messages/ingest.hpp"
#include "messages/metadata.hpp"
#include "messages/preprocessing.hpp"
#include "messages/scheduler.hpp"
#include "messages/serving.hpp"
#include "messages/supervision.hpp"
#include "messages/tensor_bundle.hpp"
#include "messages/training.hpp"
#include "messages/workflow.hpp"

// clang-format off
CAF_BEGIN_TYPE_ID_BLOCK(dmlp, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(dmlp, (dmlp::child_info))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::child_info>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::child_counts))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::supervision_event))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::encoded_bundle))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<uint8_t>))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<int64_t>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::preprocessing))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_artifact))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_context))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_execution))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_event))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_sample))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::md_sample>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_input))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_output))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_execution_record))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_record_ack))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_memo_entry))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_memo_lookup))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_gc_result))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_run_summary))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::md_run_summary>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_run_detail))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::md_lineage))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::step_request))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::step_reply))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::inference_request))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::inference_result))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::replica_info))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::router_stats))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_register))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_job))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_leave))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_credit))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_ack))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_batch))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_epoch_end))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_test_request))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_status))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::batch_ref))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::batch_ref>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_fence))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ingest_fenced))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::member_info))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::member_info>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::cluster_name))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::cluster_name>))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::join_request))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::node_heartbeat))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::spawn_request))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::hosted_child))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::cluster_status))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::membership_event))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_hello))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_state))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_step))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_chunk))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_reduced))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ps_push))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ps_params))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::ps_members))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::train_progress))

  CAF_ADD_TYPE_ID(dmlp, (dmlp::scheduler::job_submission))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::scheduler::job_grant))
  CAF_ADD_TYPE_ID(dmlp, (dmlp::scheduler::job_status))
  CAF_ADD_TYPE_ID(dmlp, (std::vector<dmlp::scheduler::job_status>))

CAF_END_TYPE_ID_BLOCK(dmlp)
// clang-format on
