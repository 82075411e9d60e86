#include "runtime/supervision_policy.hpp"

#include <caf/exit_reason.hpp>

namespace dmlp::runtime {

const char* to_string(strategy s) {
  switch (s) {
    case strategy::one_for_one:
      return "one_for_one";
    case strategy::one_for_all:
      return "one_for_all";
    case strategy::rest_for_one:
      return "rest_for_one";
    case strategy::simple_one_for_one:
      return "simple_one_for_one";
  }
  return "unknown";
}

bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

bool should_restart(restart_type type, const caf::error& reason) {
  switch (type) {
    case restart_type::permanent:
      return true;
    case restart_type::transient:
      return !is_normal_exit(reason);
    case restart_type::temporary:
      return false;
  }
  return false;
}

restart_plan plan_restart(strategy s, size_t failed, size_t count) {
  restart_plan plan;
  switch (s) {
    case strategy::one_for_one:
    case strategy::simple_one_for_one:
      plan.start.push_back(failed);
      break;
    case strategy::one_for_all:
      for (size_t i = count; i-- > 0;)
        if (i != failed)
          plan.stop.push_back(i);
      for (size_t i = 0; i < count; ++i)
        plan.start.push_back(i);
      break;
    case strategy::rest_for_one:
      for (size_t i = count; i-- > failed + 1;)
        plan.stop.push_back(i);
      for (size_t i = failed; i < count; ++i)
        plan.start.push_back(i);
      break;
  }
  return plan;
}

} // namespace dmlp::runtime
