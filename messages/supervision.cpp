#include "messages/supervision.hpp"

namespace dmlp {

std::string to_string(child_state state) {
  switch (state) {
    case child_state::running:
      return "running";
    case child_state::stopping:
      return "stopping";
    case child_state::restarting:
      return "restarting";
    case child_state::stopped:
      return "stopped";
  }
  return "unknown";
}

std::string to_string(child_kind kind) {
  return kind == child_kind::worker ? "worker" : "supervisor";
}

std::string to_string(supervision_event_kind kind) {
  switch (kind) {
    case supervision_event_kind::started:
      return "started";
    case supervision_event_kind::exited:
      return "exited";
    case supervision_event_kind::restarted:
      return "restarted";
    case supervision_event_kind::start_failed:
      return "start_failed";
    case supervision_event_kind::escalated:
      return "escalated";
    case supervision_event_kind::stopped:
      return "stopped";
  }
  return "unknown";
}

} // namespace dmlp
