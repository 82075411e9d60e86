// Integration tests of the direct ring link (actors/training/ring_link.hpp): two to four links,
// each in its own actor system, all in this process and connected over loopback TCP. Checks
// exact sums and bit-identical buffers over back-to-back steps (also of buffers larger than the
// sockets' buffers), buckets smaller than the ring, an
// aborted step followed by a new one, chunks kept for a step that has not started, and that
// strangers' bytes (a wrong nonce, garbage, frames that do not fit the step) are refused with
// link_failed and no crash while the ring keeps working. Also what a link tells its neighbours
// to connect to, and that a next link nobody listens for fails the step with link_failed.
// Everything synchronises on messages and socket events; waits are bounded by deadlines, never
// sleeps.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <gtest/gtest.h>

#include "actors/training/errors.hpp"
#include "actors/training/ring_frame.hpp"
#include "actors/training/ring_link.hpp"
#include "messages/atoms.hpp"
#include "runtime/advertised_host.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp::training;

namespace {

constexpr auto deadline = std::chrono::seconds(20);

caf::actor_system_config& with_middleman(caf::actor_system_config& cfg) {
  dmlp::runtime::configure_actor_system(cfg);
  cfg.load<caf::io::middleman>();
  return cfg;
}

struct address {
  std::string host;
  uint16_t port = 0;
  uint64_t nonce = 0;
};

ring_link_options link_options(const std::string& host, size_t bucket_elems) {
  ring_link_options options;
  options.host = host;
  options.bucket_elems = bucket_elems;
  return options;
}

// One ring member: an actor system, its link and a scoped actor that drives it.
struct member {
  caf::actor_system_config cfg;
  caf::actor_system sys{with_middleman(cfg)};
  caf::actor link;
  std::unique_ptr<caf::scoped_actor> self;
  address where;

  explicit member(size_t bucket_elems) : member(link_options("127.0.0.1", bucket_elems)) {}

  explicit member(ring_link_options options) {
    auto spawned = spawn_ring_link(sys, std::move(options));
    EXPECT_TRUE(spawned) << caf::to_string(spawned.error());
    link = *spawned;
    self = std::make_unique<caf::scoped_actor>(sys);
    (*self)
        ->request(link, deadline, ring_address_atom::value)
        .receive(
            [&](std::string& host, uint16_t port, uint64_t nonce) {
              where = address{host, port, nonce};
            },
            [&](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  }

  ~member() {
    caf::anon_send_exit(link, caf::exit_reason::kill);
    self.reset();
  }

  void run(uint64_t step, uint32_t rank, uint32_t ranks, const address& next,
           std::vector<float> buffer) {
    (*self)->send(link, ring_run_atom::value, step, rank, ranks, next.host, next.port, next.nonce,
                  std::move(buffer));
  }

  // The step's answer: the sum, or the error it failed with.
  std::pair<std::vector<float>, caf::error> answer(uint64_t step) {
    std::pair<std::vector<float>, caf::error> out;
    bool answered = false;
    while (!answered) {
      (*self)->receive(
          [&](ring_done_atom, uint64_t s, std::vector<float>& sum) {
            if (s == step) {
              out.first = std::move(sum);
              answered = true;
            }
          },
          [&](ring_failed_atom, uint64_t s, caf::error& err) {
            if (s == step) {
              out.second = std::move(err);
              answered = true;
            }
          },
          caf::after(deadline) >>
              [&] {
                out.second = caf::make_error(caf::sec::request_timeout);
                answered = true;
              });
    }
    return out;
  }

  // Chunks the link keeps for steps that have not started, once it holds at least `n`.
  void await_kept(size_t n) {
    auto until = std::chrono::steady_clock::now() + deadline;
    size_t kept = 0;
    while (kept < n && std::chrono::steady_clock::now() < until)
      (*self)
          ->request(link, deadline, ring_kept_atom::value)
          .receive([&](size_t k) { kept = k; },
                   [&](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    ASSERT_GE(kept, n);
  }
};

struct ring {
  std::vector<std::unique_ptr<member>> members;

  ring(uint32_t n, size_t bucket_elems) {
    for (uint32_t r = 0; r < n; ++r)
      members.push_back(std::make_unique<member>(bucket_elems));
  }

  uint32_t size() const { return static_cast<uint32_t>(members.size()); }

  const address& next_of(uint32_t r) const { return members[(r + 1) % size()]->where; }

  void start(uint32_t r, uint64_t step, std::vector<float> buffer) {
    members[r]->run(step, r, size(), next_of(r), std::move(buffer));
  }

  // Runs `step` on every rank with `inputs` and returns every rank's result.
  std::vector<std::vector<float>> all_reduce(uint64_t step,
                                             const std::vector<std::vector<float>>& inputs) {
    for (uint32_t r = 0; r < size(); ++r)
      start(r, step, inputs[r]);
    return results(step);
  }

  std::vector<std::vector<float>> results(uint64_t step) {
    std::vector<std::vector<float>> out;
    for (auto& m : members) {
      auto [sum, err] = m->answer(step);
      EXPECT_FALSE(err) << caf::to_string(err);
      out.push_back(std::move(sum));
    }
    return out;
  }
};

std::vector<std::vector<float>> inputs_of(uint32_t ranks, size_t length, uint64_t step) {
  std::vector<std::vector<float>> in(ranks);
  for (uint32_t r = 0; r < ranks; ++r)
    for (size_t i = 0; i < length; ++i)
      in[r].push_back(static_cast<float>((r + 1) * ((i + step) % 97)) - 40.0f);
  return in;
}

// Small integers: every order of additions gives the exact sum.
void expect_exact_sum(const std::vector<std::vector<float>>& inputs,
                      const std::vector<std::vector<float>>& results) {
  for (size_t r = 0; r < results.size(); ++r) {
    ASSERT_EQ(results[r].size(), inputs[0].size()) << "rank " << r;
    for (size_t i = 0; i < inputs[0].size(); ++i) {
      float sum = 0;
      for (const auto& in : inputs)
        sum += in[i];
      ASSERT_EQ(results[r][i], sum) << "rank " << r << ", element " << i;
    }
  }
}

void expect_identical_bits(const std::vector<std::vector<float>>& results) {
  for (size_t r = 1; r < results.size(); ++r) {
    ASSERT_EQ(results[r].size(), results[0].size());
    EXPECT_EQ(std::memcmp(results[r].data(), results[0].data(), results[0].size() * sizeof(float)),
              0)
        << "rank " << r;
  }
}

// The exact sum, in the same bits on every rank.
void expect_exact_everywhere(const std::vector<std::vector<float>>& inputs,
                             const std::vector<std::vector<float>>& results) {
  expect_exact_sum(inputs, results);
  expect_identical_bits(results);
}

// A plain loopback socket to a link's port, as a stranger would open it.
class raw_socket {
public:
  explicit raw_socket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  }
  ~raw_socket() { ::close(fd_); }

  void write(const std::vector<char>& bytes) {
    EXPECT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // Blocks until the link closes the connection (a read of 0 or a reset).
  bool closed_by_peer() {
    timeval limit{static_cast<time_t>(deadline.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    char byte;
    auto n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

private:
  int fd_ = -1;
};

std::vector<char> hello(uint64_t nonce) {
  auto h = encode_ring_hello(nonce);
  return {h.begin(), h.end()};
}

} // namespace

TEST(ring_link, rings_of_two_three_and_four_sum_exactly_step_after_step) {
  for (uint32_t ranks : {2u, 3u, 4u}) {
    SCOPED_TRACE("ranks " + std::to_string(ranks));
    ring r(ranks, 1000);
    for (uint64_t step = 1; step <= 4; ++step) {
      auto in = inputs_of(ranks, 10007, step);
      auto out = r.all_reduce(step, in);
      expect_exact_everywhere(in, out);
    }
  }
}

// 16 MiB per rank fills the sockets: frames go out partly directly, partly through CAF.
TEST(ring_link, buffers_larger_than_the_socket_buffers_sum_exactly) {
  ring r(3, 65536);
  for (uint64_t step = 1; step <= 2; ++step) {
    auto in = inputs_of(3, 4u << 20, step);
    expect_exact_everywhere(in, r.all_reduce(step, in));
  }
}

TEST(ring_link, every_rank_holds_identical_bits_of_an_inexact_sum) {
  ring r(3, 4096);
  std::vector<std::vector<float>> in(3);
  for (uint32_t k = 0; k < 3; ++k)
    for (size_t i = 0; i < 20000; ++i)
      in[k].push_back(0.1f * static_cast<float>(k + 1) + 0.0007f * static_cast<float>(i));
  auto out = r.all_reduce(1, in);
  expect_identical_bits(out);
  for (size_t i = 0; i < in[0].size(); ++i)
    ASSERT_NEAR(out[0][i], in[0][i] + in[1][i] + in[2][i], 1e-3f);
}

TEST(ring_link, buckets_smaller_than_the_ring) {
  ring r(4, 2);
  auto in = inputs_of(4, 7, 3);
  expect_exact_everywhere(in, r.all_reduce(1, in));
}

TEST(ring_link, a_step_aborted_mid_ring_leaves_the_next_step_correct) {
  ring r(3, 100);
  // Rank 0 sends its first hops; ranks 1 and 2 never start step 1, which is then aborted.
  r.start(0, 1, inputs_of(3, 1000, 1)[0]);
  r.members[1]->await_kept(10);
  caf::anon_send(r.members[0]->link, dmlp::train_abort_atom::value, uint64_t{1});
  auto in = inputs_of(3, 1000, 2);
  expect_exact_everywhere(in, r.all_reduce(2, in));
}

TEST(ring_link, chunks_that_arrive_before_their_step_starts_are_kept) {
  ring r(2, 64);
  auto in = inputs_of(2, 640, 5);
  r.start(0, 9, in[0]);
  // Rank 0's first hop of every bucket waits at rank 1 before rank 1 starts step 9.
  r.members[1]->await_kept(10);
  r.start(1, 9, in[1]);
  expect_exact_everywhere(in, r.results(9));
}

TEST(ring_link, a_wrong_nonce_is_refused_and_the_ring_keeps_working) {
  ring r(2, 256);
  for (auto bytes : {hello(r.members[1]->where.nonce + 1), std::vector<char>(16, 'x')}) {
    raw_socket stranger(r.members[1]->where.port);
    stranger.write(bytes);
    EXPECT_TRUE(stranger.closed_by_peer());
  }
  auto in = inputs_of(2, 3000, 1);
  auto out = r.all_reduce(1, in);
  expect_exact_sum(in, out);
}

TEST(ring_link, malformed_frames_fail_the_running_step_and_close_the_connection) {
  ring r(2, 256);
  auto& target = *r.members[1];
  std::vector<float> one{1.0f};
  // Frames of steps 3, 4 and 5, the steps running when they arrive.
  auto frame = [&](uint64_t step, uint32_t bucket, uint32_t phase,
                   const std::vector<float>& values) {
    std::vector<char> out;
    append_ring_frame(out, ring_chunk_view{{step, bucket, phase, 0}, values.data(), values.size()});
    return out;
  };
  auto bad_length = frame(2, 0, 0, one);
  bad_length[24] = 3; // 3 payload bytes: not whole floats
  std::vector<std::vector<char>> malformed{
      std::vector<char>(32, '\x7f'), // no frame header at all
      bad_length,
      frame(3, 99, 0, one),                          // a bucket the step does not have
      frame(4, 0, 0, std::vector<float>(5, 1.0f)),   // the wrong number of floats
      frame(5, 0, 1, std::vector<float>(128, 1.0f)), // all-gather before reduce-scatter
  };
  uint64_t step = 1;
  for (const auto& bytes : malformed) {
    SCOPED_TRACE("malformed input " + std::to_string(step));
    target.run(step, 1, 2, r.next_of(1), inputs_of(2, 256, step)[1]);
    raw_socket peer(target.where.port);
    peer.write(hello(target.where.nonce));
    peer.write(bytes);
    auto [sum, err] = target.answer(step);
    EXPECT_TRUE(err == training_errc::link_failed || err == training_errc::bad_bundle)
        << caf::to_string(err);
    EXPECT_TRUE(peer.closed_by_peer());
    ++step;
  }
  auto in = inputs_of(2, 256, step);
  auto out = r.all_reduce(step, in);
  expect_exact_sum(in, out);
}

TEST(ring_link, a_link_on_every_interface_advertises_the_host_name) {
  member wildcard(link_options("0.0.0.0", 256));
  EXPECT_NE(wildcard.where.host, "0.0.0.0");
  EXPECT_EQ(wildcard.where.host, dmlp::runtime::advertised_host("0.0.0.0"));
  auto told = link_options("127.0.0.1", 256);
  told.advertise = "127.0.0.9";
  member explicit_address(told);
  EXPECT_EQ(explicit_address.where.host, "127.0.0.9");
}

TEST(ring_link, a_next_link_nobody_listens_for_fails_the_step_with_link_failed) {
  ring r(2, 256);
  // Where the next link is said to listen, nothing does: 127.0.0.2 while it listens on
  // 127.0.0.1 (the whole 127/8 is loopback, and the kernel refuses at once).
  auto nowhere = r.members[1]->where;
  nowhere.host = "127.0.0.2";
  r.members[0]->run(1, 0, 2, nowhere, inputs_of(2, 256, 1)[0]);
  auto [sum, err] = r.members[0]->answer(1);
  EXPECT_TRUE(sum.empty());
  EXPECT_EQ(err, training_errc::link_failed) << caf::to_string(err);
  // The link is ready for the next step on a ring that works.
  auto in = inputs_of(2, 256, 2);
  auto out = r.all_reduce(2, in);
  expect_exact_sum(in, out);
}
