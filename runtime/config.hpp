// Strict YAML configuration reading. A config_reader wraps one mapping of a YAML file; a
// component reads the keys it knows into its options struct, then calls finish(), which fails
// on any key nobody read. Every error names the file and the full key path, e.g.
//   configs/demo.yaml: supervision.intensity.period: expected a duration like 250ms or 5s
// Durations accept "250ms", "5s", "2m" or a plain number of milliseconds.
// Not thread-safe; readers are short-lived values.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace YAML {
class Node;
}

namespace dmlp::runtime {

struct supervisor_spec;
struct logging_options;

/// Reads one YAML mapping with strict key checking.
class config_reader {
public:
  /// Parses `path`; a missing file or bad YAML is runtime_errc::config_unreadable.
  static caf::expected<config_reader> from_file(const std::string& path);

  /// Parses `text`; `source` names it in errors.
  static caf::expected<config_reader> from_string(const std::string& text,
                                                  const std::string& source);

  /// Whether `key` is present.
  bool has(const std::string& key) const;

  /// Reads `key` into `out` when present (leaves `out` untouched otherwise). Wrong types are
  /// runtime_errc::config_invalid_value.
  caf::error read(const std::string& key, bool& out);
  caf::error read(const std::string& key, int64_t& out);
  caf::error read(const std::string& key, uint32_t& out);
  caf::error read(const std::string& key, double& out);
  caf::error read(const std::string& key, std::string& out);
  caf::error read(const std::string& key, std::vector<std::string>& out);
  caf::error read(const std::string& key, std::chrono::milliseconds& out);

  /// Like read(), but an absent key is runtime_errc::config_missing_key.
  template <class T> caf::error require(const std::string& key, T& out) {
    if (!has(key))
      return missing(key);
    return read(key, out);
  }

  /// The mapping under `key`; an empty reader when absent; an error when not a mapping.
  caf::expected<config_reader> section(const std::string& key);

  /// The mappings of the list under `key` (errors name them "key[i].…"); empty when absent;
  /// an error when not a list of mappings.
  caf::expected<std::vector<config_reader>> sections(const std::string& key);

  /// Fails with runtime_errc::config_unknown_key naming the first key nobody read.
  caf::error finish() const;

  /// "file: prefix.key", the way errors name a key.
  std::string where(const std::string& key) const;

private:
  config_reader(std::shared_ptr<YAML::Node> node, std::string source, std::string prefix);
  caf::error missing(const std::string& key) const;
  caf::error invalid(const std::string& key, const std::string& expectation) const;

  std::shared_ptr<YAML::Node> node_;
  std::string source_;
  std::string prefix_;
  std::set<std::string> used_;
};

/// Reads a `supervision:`-style mapping (strategy, intensity.max_restarts, intensity.period,
/// backoff.min/max/jitter/reset_after) into `spec`, keeping its defaults for absent keys.
caf::error read_supervisor_options(config_reader& reader, supervisor_spec& spec);

/// Reads a `logging:` mapping (level, file).
caf::error read_logging_options(config_reader& reader, logging_options& options);

} // namespace dmlp::runtime
