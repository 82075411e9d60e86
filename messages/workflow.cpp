#include "messages/workflow.hpp"

namespace dmlp {

std::string to_string(step_errc code) {
  switch (code) {
    case step_errc::out_of_memory:
      return "out_of_memory";
    case step_errc::data_missing:
      return "data_missing";
    case step_errc::invalid_parameters:
      return "invalid_parameters";
    case step_errc::unavailable:
      return "unavailable";
    case step_errc::internal:
      return "internal";
    case step_errc::cancelled:
      return "cancelled";
  }
  return "step_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

} // namespace dmlp
