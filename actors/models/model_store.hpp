// Saving and loading classifier modules as model artifacts (model_artifact.hpp): the torch
// side used by training (save_model) and by serving's model runner (load_model). Loading
// validates everything before touching a module — frame checksum, bundle decoding, every
// parameter and buffer present once with its exact dtype and shape — so corrupt or mismatched
// weights are a clear model_errc, never a crash or a half-loaded model.
// Includes torch. Thread-safe (no shared state; distinct modules per call).
#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/models/model_artifact.hpp"
#include "actors/models/model_registry.hpp"
#include "messages/checked_file.hpp"

namespace dmlp::models {

/// The weights file's format version.
constexpr uint32_t weights_format_version = 1;

/// The weights file's magic, "DMLPWGTS".
file_magic weights_magic();

/// A loaded version: the module (in eval mode) and its records.
struct loaded_model {
  /// The module with the saved weights.
  std::shared_ptr<classifier> module;
  /// model.json.
  model_metadata metadata;
  /// preprocessing.json.
  preprocessing prep;
};

/// Saves `module` as the next version of `dir` (creating it), with `prep` and `metadata`
/// (version, parameters and creation time are filled in); returns the version number.
caf::expected<uint32_t> save_model(const std::string& dir, classifier& module,
                                   model_metadata metadata, const preprocessing& prep);

/// Loads version `version` of `dir`.
caf::expected<loaded_model> load_model(const std::string& dir, uint32_t version);

/// Number of trainable parameter values of `module`.
uint64_t parameter_count(classifier& module);

} // namespace dmlp::models
