#include "runtime/errors.hpp"

#include "messages/error_names.hpp"

namespace dmlp::runtime {

std::string to_string(runtime_errc code) {
  switch (code) {
    case runtime_errc::restart_intensity_exceeded:
      return "restart_intensity_exceeded";
    case runtime_errc::start_failed:
      return "start_failed";
    case runtime_errc::unknown_child:
      return "unknown_child";
    case runtime_errc::duplicate_child:
      return "duplicate_child";
    case runtime_errc::wrong_strategy:
      return "wrong_strategy";
    case runtime_errc::config_unreadable:
      return "config_unreadable";
    case runtime_errc::config_unknown_key:
      return "config_unknown_key";
    case runtime_errc::config_invalid_value:
      return "config_invalid_value";
    case runtime_errc::config_missing_key:
      return "config_missing_key";
    case runtime_errc::io_failure:
      return "io_failure";
    case runtime_errc::no_such_target:
      return "no_such_target";
  }
  return "runtime_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_runtime_error_names() {
  add_error_names(caf::atom("runtime"),
                  [](uint8_t code) { return to_string(static_cast<runtime_errc>(code)); });
}

} // namespace dmlp::runtime
