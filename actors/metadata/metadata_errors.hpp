// Error codes of the metadata store (actors/metadata). The codes themselves belong to the
// metadata protocol (dmlp::metadata_errc in messages/metadata.hpp, so callers in other roles
// can test them); this header brings them into dmlp::metadata and registers their names with
// describe() through register_metadata_errors(cfg).
#pragma once

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include "messages/metadata.hpp"

namespace dmlp::metadata {

using dmlp::metadata_errc;

/// Whether `err` is the metadata error `code`.
inline bool is(const caf::error& err, metadata_errc code) {
  return is_metadata_error(err, code);
}

/// Lets describe() print metadata error names (metadata_store::open calls it too).
void register_metadata_error_names();

/// Lets describe() print metadata error names; call after configure_actor_system().
void register_metadata_errors(caf::actor_system_config& cfg);

} // namespace dmlp::metadata
