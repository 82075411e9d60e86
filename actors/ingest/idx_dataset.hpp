// A dataset stored as the four IDX files of MNIST and Fashion-MNIST (train/t10k × images/
// labels, gzip-compressed or not) in one directory. load() reads them with the strict IDX
// reader, checks the 10-class label range and applies the preprocessing record.
// Immutable; thread-safe.
#pragma once

#include "actors/ingest/dataset.hpp"

namespace dmlp::ingest {

/// MNIST-layout IDX files.
class idx_dataset : public dataset {
public:
  /// `name` is reported by name(); `directory` holds the files. A file is looked up as
  /// "<stem>.gz" first, then "<stem>".
  idx_dataset(std::string name, std::string directory);

  std::string name() const override;
  std::vector<std::string> files() const override;
  caf::expected<std::string> content_digest() const override;
  caf::expected<dataset_content> load(const preprocessing& transform) const override;

private:
  std::string path_of(const std::string& stem) const;

  std::string name_;
  std::string directory_;
};

} // namespace dmlp::ingest
