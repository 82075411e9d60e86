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
#include "messages/preprocessing.hpp"
#include "messages/supervision.hpp"
#include "messages/tensor_bundle.hpp"

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

CAF_END_TYPE_ID_BLOCK(dmlp)
