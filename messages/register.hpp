// The one call every dmlp actor system makes before it is built: registers the type-id block
// of messages/type_ids.hpp and the codec error category.
#pragma once

#include <caf/actor_system_config.hpp>

namespace dmlp {

/// Lets `cfg` render errors of `category` through dmlp::describe().
void add_error_category(caf::actor_system_config& cfg, caf::atom_value category);

/// Registers dmlp's message types and error categories with `cfg`.
void register_message_types(caf::actor_system_config& cfg);

} // namespace dmlp
