// The model artifact format, torch-free side: a model directory holds numbered versions
// (DIR/1/, DIR/2/, …), each with weights.dmlpw (a TensorBundle framed by checked_file),
// preprocessing.json (messages/preprocessing.hpp) and model.json (this header's
// model_metadata). A version directory is written under a temporary name and renamed into
// place, so a reader never sees half a version. Specified in docs/formats/model-artifact.md.
// Saving and loading weights needs torch: see model_store.hpp (training) and model_runner.hpp
// (serving). Pure functions over the file system; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/preprocessing.hpp"

namespace dmlp::models {

/// The model.json format version this build writes and reads.
constexpr uint32_t model_metadata_format = 1;

/// Name of the weights file inside a version directory.
constexpr const char* weights_file_name = "weights.dmlpw";
/// Name of the preprocessing record inside a version directory.
constexpr const char* preprocessing_file_name = "preprocessing.json";
/// Name of the metadata file inside a version directory.
constexpr const char* metadata_file_name = "model.json";

/// What model.json records about one version.
struct model_metadata {
  /// Format of this record. Default: model_metadata_format.
  uint32_t format = model_metadata_format;
  /// The served name, e.g. "fashion". Default: empty (servers then use the architecture).
  std::string name;
  /// Registry name of the architecture, e.g. "cnn".
  std::string architecture;
  /// Version number (the directory name). Set by save_model.
  uint32_t version = 0;
  /// Creation time, milliseconds since the Unix epoch. Set by save_model when 0.
  int64_t created_unix_ms = 0;
  /// Number of trainable parameters. Set by save_model.
  uint64_t parameters = 0;
  /// Number of output classes. Default: 10.
  uint32_t classes = 10;
  /// Free-form metrics, e.g. {"test_accuracy": 0.87}.
  std::map<std::string, double> metrics;

  /// JSON text of the record.
  std::string to_json() const;

  /// Parses and validates model.json text.
  static caf::expected<model_metadata> from_json(const std::string& text);
};

/// DIR/<version>.
std::string version_path(const std::string& dir, uint32_t version);

/// Complete versions in `dir`, ascending (names that are positive integers; temporaries and
/// other entries are ignored). A missing directory yields model_errc::no_versions.
caf::expected<std::vector<uint32_t>> list_versions(const std::string& dir);

/// The highest version in `dir`; model_errc::no_versions when there is none.
caf::expected<uint32_t> newest_version(const std::string& dir);

/// Reads and validates DIR/<version>/model.json.
caf::expected<model_metadata> read_metadata(const std::string& dir, uint32_t version);

/// Reads and validates DIR/<version>/preprocessing.json.
caf::expected<preprocessing> read_preprocessing(const std::string& dir, uint32_t version);

/// Saves a freshly initialised model of `architecture` (torch::manual_seed(seed) first) as the
/// next version of `dir`, with the default preprocessing record; returns the version. For
/// serving before a trained model exists (`dmlp model init`).
caf::expected<uint32_t> init_model(const std::string& dir, const std::string& architecture,
                                   const std::string& name, uint64_t seed);

/// Registered architecture names (the registry's, without exposing torch).
std::vector<std::string> architecture_names();

} // namespace dmlp::models
