#include "actors/ingest/dataset.hpp"

#include "actors/ingest/idx_dataset.hpp"
#include "actors/ingest/shard_dataset.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

std::string default_data_dir(const std::string& name) {
  return "/usr/share/datasets/" + name;
}

caf::expected<std::unique_ptr<dataset>> make_dataset(const dataset_options& options) {
  if (options.name == "fashion-mnist" || options.name == "mnist") {
    auto dir = options.data_dir.empty() ? default_data_dir(options.name) : options.data_dir;
    return std::unique_ptr<dataset>{std::make_unique<idx_dataset>(options.name, dir)};
  }
  if (options.name == "shards") {
    if (options.data_dir.empty())
      return caf::make_error(ingest_errc::invalid_option,
                             "dataset 'shards' needs a data directory (--data-dir)");
    return std::unique_ptr<dataset>{std::make_unique<shard_dataset>(options.data_dir)};
  }
  return caf::make_error(ingest_errc::unknown_dataset,
                         "unknown dataset '" + options.name +
                             "' (known: fashion-mnist, mnist, shards)");
}

} // namespace dmlp::ingest
