// Unit tests of the direct ring link's bytes (actors/training/ring_frame.hpp): hellos and frame
// headers round-trip, and every field decoding can check refuses bad bytes: link_failed for a
// hello, bad_bundle for a frame header.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "actors/training/errors.hpp"
#include "actors/training/ring_frame.hpp"

using namespace dmlp::training;

namespace {

std::vector<char> frame_of(const ring_chunk_view& chunk) {
  std::vector<char> out;
  append_ring_frame(out, chunk);
  return out;
}

bool refused(const std::vector<char>& header, size_t max_payload = 1024) {
  auto h = decode_ring_frame_header(header.data(), header.size(), max_payload);
  return !h && h.error() == training_errc::bad_bundle;
}

} // namespace

TEST(ring_frame, a_frame_round_trips_with_its_floats_after_the_header) {
  std::vector<float> values{1.5f, -2.0f, 3.25f};
  auto bytes = frame_of({{7, 3, 1, 2}, values.data(), values.size()});
  ASSERT_EQ(bytes.size(), ring_frame_header_size + 3 * sizeof(float));
  auto h = decode_ring_frame_header(bytes.data(), ring_frame_header_size, 1024);
  ASSERT_TRUE(h) << to_string(h.error());
  EXPECT_EQ(h->where.step, 7u);
  EXPECT_EQ(h->where.bucket, 3u);
  EXPECT_EQ(h->where.phase, 1u);
  EXPECT_EQ(h->where.hop, 2u);
  EXPECT_EQ(h->payload_bytes, 12u);
  EXPECT_EQ(std::memcmp(bytes.data() + ring_frame_header_size, values.data(), 12), 0);
}

TEST(ring_frame, bad_headers_are_refused) {
  std::vector<float> one{1.0f};
  auto good = frame_of({{1, 0, 0, 0}, one.data(), one.size()});
  good.resize(ring_frame_header_size);
  EXPECT_FALSE(refused(good));
  auto with = [&](size_t at, char byte) {
    auto h = good;
    h[at] = byte;
    return h;
  };
  EXPECT_TRUE(refused(with(0, 'x')));                                    // magic
  EXPECT_TRUE(refused(with(16, 2)));                                     // phase 2
  EXPECT_TRUE(refused(with(24, 5)));                                     // 5 bytes: no whole float
  EXPECT_TRUE(refused(with(28, 1)));                                     // reserved
  EXPECT_TRUE(refused(good, 0));                                         // above the limit
  EXPECT_TRUE(refused(std::vector<char>(good.begin(), good.end() - 1))); // short
}

TEST(ring_frame, a_hello_must_carry_the_nonce) {
  auto hello = encode_ring_hello(0x1234abcdULL);
  EXPECT_FALSE(check_ring_hello(hello.data(), hello.size(), 0x1234abcdULL));
  EXPECT_EQ(check_ring_hello(hello.data(), hello.size(), 0x1234abceULL),
            training_errc::link_failed);
  auto wrong_version = hello;
  wrong_version[4] = 9;
  EXPECT_EQ(check_ring_hello(wrong_version.data(), wrong_version.size(), 0x1234abcdULL),
            training_errc::link_failed);
  std::vector<char> garbage(ring_hello_size, 'x');
  EXPECT_EQ(check_ring_hello(garbage.data(), garbage.size(), 0x1234abcdULL),
            training_errc::link_failed);
}
