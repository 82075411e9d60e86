// The bytes of the direct ring link (ring_link.hpp), as docs/training.md specifies them. A
// connection opens with a 16-byte hello from the connecting side: magic "DMRH", format version,
// and the nonce the accepting link handed out through the authenticated actor channel. Then
// frames follow, each a 32-byte header (magic "DMRF", bucket, step, phase, hop, payload length
// in bytes, a reserved zero) and the chunk's floats. Every integer and float is little-endian.
// Decoding checks every field it can without the ring's state and returns
// training_errc::link_failed for bytes that are no hello (or the wrong nonce) and
// training_errc::bad_bundle for bytes that are no frame header; ring_allreduce checks the rest
// (bucket, order, size). Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/training/ring_allreduce.hpp"

namespace dmlp::training {

/// Bytes of the hello that opens a connection.
constexpr size_t ring_hello_size = 16;

/// Bytes of a frame header.
constexpr size_t ring_frame_header_size = 32;

/// The hello presenting `nonce`.
std::array<char, ring_hello_size> encode_ring_hello(uint64_t nonce);

/// Checks `size` bytes of a hello against the accepting link's `nonce`.
caf::error check_ring_hello(const char* bytes, size_t size, uint64_t nonce);

/// A decoded frame header.
struct ring_frame_header {
  /// Where the chunk belongs.
  ring_chunk_id where;
  /// Bytes of floats that follow (a multiple of 4).
  uint32_t payload_bytes = 0;
};

/// The header of `chunk`'s frame.
std::array<char, ring_frame_header_size> encode_ring_frame_header(const ring_chunk_view& chunk);

/// Appends `chunk` as one frame (header and floats) to `out`: one copy of the floats.
void append_ring_frame(std::vector<char>& out, const ring_chunk_view& chunk);

/// Decodes `size` bytes of a frame header; a payload above `max_payload_bytes` is refused.
caf::expected<ring_frame_header> decode_ring_frame_header(const char* bytes, size_t size,
                                                          size_t max_payload_bytes);

} // namespace dmlp::training
