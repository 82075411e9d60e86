// SHA-256 digests of bytes and files, written "sha256:<64 hex digits>": the digests of
// artifacts, memo keys and content fingerprints. OpenSSL's libcrypto does the hashing.
// Thread-safe (no shared state).
#pragma once

#include <string>

#include <caf/expected.hpp>

namespace dmlp::workflow {

/// Digest of `bytes`.
std::string digest_of(const std::string& bytes);

/// Digest of the file at `path`, streamed; a missing file is step_errc::data_missing.
caf::expected<std::string> digest_of_file(const std::string& path);

} // namespace dmlp::workflow
