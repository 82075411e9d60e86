// The dataset interface of the ingest role: a source of training and test samples that ingest
// can digest (for cache keys), list as files (for file sharding) and load through a
// preprocessing record. Two kinds plug in: IDX files (Fashion-MNIST, MNIST; idx_dataset.hpp)
// and a directory of Cap'n Proto shards as the disk cache writes them (shard_dataset.hpp).
// make_dataset() picks one by name and location. Implementations are immutable after
// construction; their const members are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/ingest/sample_set.hpp"
#include "messages/preprocessing.hpp"

namespace dmlp::ingest {

/// A source of samples.
class dataset {
public:
  virtual ~dataset() = default;

  /// The dataset's name, e.g. "fashion-mnist".
  virtual std::string name() const = 0;

  /// The files the source consists of, in a stable order.
  virtual std::vector<std::string> files() const = 0;

  /// A digest of the source's content: changes whenever any file's bytes change.
  virtual caf::expected<std::string> content_digest() const = 0;

  /// Reads, validates and preprocesses both splits.
  virtual caf::expected<dataset_content> load(const preprocessing& transform) const = 0;
};

/// Where a dataset comes from (configs: `ingest.dataset`).
struct dataset_options {
  /// fashion-mnist, mnist or shards. Default: "fashion-mnist".
  std::string name = "fashion-mnist";
  /// Directory of the files; empty means the dataset's default location
  /// (/usr/share/datasets/<name>/ for IDX datasets; shards need one). Default: empty.
  std::string data_dir;
};

/// The default directory of an IDX dataset: /usr/share/datasets/<name>.
std::string default_data_dir(const std::string& name);

/// Creates the dataset `options` names; ingest_errc::unknown_dataset for an unknown name.
/// Files are not opened until content_digest() or load().
caf::expected<std::unique_ptr<dataset>> make_dataset(const dataset_options& options);

} // namespace dmlp::ingest
