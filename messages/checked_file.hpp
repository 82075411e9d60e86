// Framing for everything dmlp writes to disk (snapshots, cache shards, checkpoints): a fixed
// header — 8-byte magic, format version, body length, CRC-32 of the body — before an opaque body
// (usually a Cap'n Proto message). Decoding checks every field before it hands the body out, so
// a truncated or corrupted file is reported, never half-read. The layout is specified in
// docs/formats.md. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dmlp {

/// An 8-character tag that names a file format, e.g. "DMLPSNAP".
using file_magic = std::array<char, 8>;

/// Builds a file_magic from an 8-character string literal.
file_magic make_magic(const char (&text)[9]);

/// Size of the header that precedes every body.
constexpr size_t checked_file_header_size = 8 + 4 + 8 + 4;

/// The body length the header at `header` (checked_file_header_size bytes) announces, not yet
/// checked against anything: for readers of concatenated frames (runtime/record_log).
uint64_t checked_body_length(const uint8_t* header);

/// Returns header + body.
std::vector<uint8_t> frame_checked(const file_magic& magic, uint32_t version,
                                   const std::vector<uint8_t>& body);

/// Verifies magic, version, length and checksum and returns the body; `max_body` bounds what
/// a corrupt length field can make us allocate.
caf::expected<std::vector<uint8_t>> unframe_checked(const file_magic& magic, uint32_t version,
                                                    const std::vector<uint8_t>& file,
                                                    uint64_t max_body = uint64_t{1} << 34);

/// CRC-32 (zlib polynomial) of a byte range.
uint32_t crc32_of(const uint8_t* data, size_t size);

} // namespace dmlp
