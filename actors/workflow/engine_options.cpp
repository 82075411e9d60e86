#include "actors/workflow/engine_options.hpp"

#include <cstdlib>

namespace dmlp::workflow {

std::string default_artifact_root() {
  if (auto home = std::getenv("DMLP_HOME"); home != nullptr && *home != '\0')
    return std::string{home} + "/artifacts";
  if (auto home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string{home} + "/.dmlp/artifacts";
  return "artifacts";
}

caf::error read_engine_options(runtime::config_reader& reader, engine_options& options) {
  if (auto err = reader.read("artifact_root", options.artifact_root))
    return err;
  if (auto err = reader.read("step_timeout", options.step_timeout))
    return err;
  if (auto err = reader.read("metadata_timeout", options.metadata_timeout))
    return err;
  if (auto err = reader.read("sample_interval", options.sample_interval))
    return err;
  if (auto err = reader.read("memo_gc_horizon", options.memo_gc_horizon))
    return err;
  return reader.finish();
}

} // namespace dmlp::workflow
