#include "messages/metadata.hpp"

#include <caf/atom.hpp>

namespace dmlp {

std::string to_string(metadata_errc code) {
  switch (code) {
    case metadata_errc::open_failed:
      return "open_failed";
    case metadata_errc::corrupt:
      return "corrupt";
    case metadata_errc::locked:
      return "locked";
    case metadata_errc::schema_too_new:
      return "schema_too_new";
    case metadata_errc::migration_failed:
      return "migration_failed";
    case metadata_errc::not_found:
      return "not_found";
    case metadata_errc::invalid_record:
      return "invalid_record";
    case metadata_errc::io_failure:
      return "io_failure";
    case metadata_errc::sql_error:
      return "sql_error";
  }
  return "metadata_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

bool is_metadata_error(const caf::error& err, metadata_errc code) {
  return err && err.category() == caf::atom("metadata") && err.code() == static_cast<uint8_t>(code);
}

} // namespace dmlp
