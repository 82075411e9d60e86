#include "actors/metadata/metadata_errors.hpp"

#include <caf/atom.hpp>

#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::metadata {

void register_metadata_error_names() {
  add_error_names(caf::atom("metadata"),
                  [](uint8_t code) { return dmlp::to_string(static_cast<metadata_errc>(code)); });
}

void register_metadata_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("metadata"));
  register_metadata_error_names();
}

} // namespace dmlp::metadata
