// Error codes of the messages layer: what can be wrong with bytes that arrive from a peer or
// are read back from disk. Every decoder in messages/ returns these through caf::error, so a
// caller never sees an exception from Cap'n Proto or a half-decoded value.
// None of these is worth a retry with the same bytes; a caller may re-fetch or rebuild.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace dmlp {

/// Why a byte sequence could not be decoded.
enum class codec_errc : uint8_t {
  /// The input ends before the structure it announces.
  truncated = 1,
  /// The bytes are not a well-formed message of the expected schema.
  malformed,
  /// A file does not start with the expected magic number.
  bad_magic,
  /// The format version is not one this build reads.
  unsupported_version,
  /// The checksum does not match the content.
  checksum_mismatch,
  /// The input, or a size it announces, exceeds the configured limit.
  oversized,
  /// A tensor's byte length does not match its shape and element type.
  shape_mismatch,
  /// A tensor names an element type this build does not know.
  unknown_dtype,
};

/// Returns the code's name, e.g. "checksum_mismatch".
std::string to_string(codec_errc code);

/// Renders any dmlp or CAF error as one human-readable line: "category.code: context".
std::string describe(const caf::error& err);

} // namespace dmlp

CAF_ERROR_CODE_ENUM(dmlp::codec_errc, "codec")
