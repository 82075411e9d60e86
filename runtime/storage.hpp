// Small file helpers every role uses for durable state: read a whole file, and write one
// atomically (temp file in the same directory, fsync, rename, fsync of the directory), so a
// crash never leaves a half-written file under the final name. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dmlp::runtime {

/// Reads all of `path`; runtime_errc::io_failure names the path and errno text on failure.
caf::expected<std::vector<uint8_t>> read_file(const std::string& path);

/// Replaces `path` with `bytes` atomically.
caf::error write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

/// Creates `path` and its parents; succeeds if it exists.
caf::error make_directories(const std::string& path);

} // namespace dmlp::runtime
