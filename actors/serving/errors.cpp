#include "actors/serving/errors.hpp"

#include "actors/models/errors.hpp"
#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::serving {

std::string to_string(serving_errc code) {
  switch (code) {
    case serving_errc::no_replica:
      return "no_replica";
    case serving_errc::attempts_exhausted:
      return "attempts_exhausted";
    case serving_errc::bad_request:
      return "bad_request";
    case serving_errc::bad_option:
      return "bad_option";
    case serving_errc::bad_tokens_file:
      return "bad_tokens_file";
    case serving_errc::load_failed:
      return "load_failed";
    case serving_errc::bind_failed:
      return "bind_failed";
  }
  return "serving_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_serving_errors(caf::actor_system_config& cfg) {
  models::register_model_errors(cfg);
  add_error_category(cfg, caf::atom("serving"));
  add_error_names(caf::atom("serving"),
                  [](uint8_t code) { return to_string(static_cast<serving_errc>(code)); });
}

} // namespace dmlp::serving
