#include "actors/training/ring_frame.hpp"

#include <cstring>
#include <string>

#include "actors/training/errors.hpp"

namespace dmlp::training {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the ring link writes floats and integers in host order, specified little-endian");

constexpr uint32_t hello_magic = 0x48524d44; // "DMRH" read as little-endian bytes
constexpr uint32_t frame_magic = 0x46524d44; // "DMRF"
constexpr uint32_t format_version = 1;

template <class T> void put(char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

template <class T> T get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

caf::error refuse_hello(const std::string& what) {
  return caf::make_error(training_errc::link_failed, what);
}

caf::error malformed(const std::string& what) {
  return caf::make_error(training_errc::bad_bundle, what);
}

} // namespace

std::array<char, ring_hello_size> encode_ring_hello(uint64_t nonce) {
  std::array<char, ring_hello_size> out{};
  put(out.data(), hello_magic);
  put(out.data() + 4, format_version);
  put(out.data() + 8, nonce);
  return out;
}

caf::error check_ring_hello(const char* bytes, size_t size, uint64_t nonce) {
  if (size != ring_hello_size || get<uint32_t>(bytes) != hello_magic)
    return refuse_hello("a ring link connection did not open with a hello");
  if (get<uint32_t>(bytes + 4) != format_version)
    return refuse_hello("ring link format version " + std::to_string(get<uint32_t>(bytes + 4)) +
                        ", expected " + std::to_string(format_version));
  if (get<uint64_t>(bytes + 8) != nonce)
    return refuse_hello("a ring link connection presented a wrong nonce");
  return {};
}

std::array<char, ring_frame_header_size> encode_ring_frame_header(const ring_chunk_view& chunk) {
  std::array<char, ring_frame_header_size> header{};
  put(header.data(), frame_magic);
  put(header.data() + 4, chunk.where.bucket);
  put(header.data() + 8, chunk.where.step);
  put(header.data() + 16, chunk.where.phase);
  put(header.data() + 20, chunk.where.hop);
  put(header.data() + 24, static_cast<uint32_t>(chunk.count * sizeof(float)));
  return header;
}

void append_ring_frame(std::vector<char>& out, const ring_chunk_view& chunk) {
  auto header = encode_ring_frame_header(chunk);
  out.insert(out.end(), header.begin(), header.end());
  auto payload = reinterpret_cast<const char*>(chunk.values);
  out.insert(out.end(), payload, payload + chunk.count * sizeof(float));
}

caf::expected<ring_frame_header> decode_ring_frame_header(const char* bytes, size_t size,
                                                          size_t max_payload_bytes) {
  if (size != ring_frame_header_size || get<uint32_t>(bytes) != frame_magic)
    return malformed("ring link bytes that are no frame header");
  ring_frame_header h;
  h.where.bucket = get<uint32_t>(bytes + 4);
  h.where.step = get<uint64_t>(bytes + 8);
  h.where.phase = get<uint32_t>(bytes + 16);
  h.where.hop = get<uint32_t>(bytes + 20);
  h.payload_bytes = get<uint32_t>(bytes + 24);
  if (get<uint32_t>(bytes + 28) != 0)
    return malformed("ring link frame header with a nonzero reserved field");
  if (h.where.phase > 1)
    return malformed("ring link frame of phase " + std::to_string(h.where.phase));
  if (h.payload_bytes % sizeof(float) != 0 || h.payload_bytes > max_payload_bytes)
    return malformed("ring link frame of " + std::to_string(h.payload_bytes) +
                     " payload bytes (a multiple of 4 up to " + std::to_string(max_payload_bytes) +
                     " expected)");
  return h;
}

} // namespace dmlp::training
