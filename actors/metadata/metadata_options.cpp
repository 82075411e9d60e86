#include "actors/metadata/metadata_options.hpp"

#include <cstdlib>

#include "runtime/errors.hpp"

namespace dmlp::metadata {

std::string default_database_path() {
  if (auto home = std::getenv("DMLP_HOME"); home != nullptr && *home != '\0')
    return std::string{home} + "/metadata.db";
  if (auto home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string{home} + "/.dmlp/metadata.db";
  return "metadata.db";
}

caf::error read_metadata_options(runtime::config_reader& reader, metadata_options& options) {
  if (auto err = reader.read("path", options.path))
    return err;
  if (auto err = reader.read("busy_timeout", options.busy_timeout))
    return err;
  if (auto err = reader.read("synchronous", options.synchronous))
    return err;
  if (options.synchronous != "full" && options.synchronous != "normal")
    return caf::make_error(runtime::runtime_errc::config_invalid_value,
                           reader.where("synchronous") + ": expected full or normal");
  if (auto err = reader.read("batch_max", options.batch_max))
    return err;
  if (options.batch_max == 0)
    return caf::make_error(runtime::runtime_errc::config_invalid_value,
                           reader.where("batch_max") + ": expected at least 1");
  if (auto err = reader.read("batch_interval", options.batch_interval))
    return err;
  if (auto err = reader.read("sample_interval", options.sample_interval))
    return err;
  return reader.finish();
}

} // namespace dmlp::metadata
