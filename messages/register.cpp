#include "messages/register.hpp"

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace dmlp {

void add_error_category(caf::actor_system_config& cfg, caf::atom_value category) {
  cfg.add_error_category(category,
                         [](uint8_t code, caf::atom_value category, const caf::message& context) {
                           return describe(caf::error{code, category, context});
                         });
}

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::dmlp>();
  add_error_category(cfg, caf::atom("codec"));
}

} // namespace dmlp
