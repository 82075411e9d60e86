// The raw loopback TCP ring of bench_allreduce: the ring schedule of
// actors/training/ring_schedule.hpp over two plain sockets per rank (to the next, from the
// previous), sending and receiving each hop's chunk at the same time with poll(). No framing,
// no encoding: the bus bandwidth it reaches is what loopback allows.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "actors/training/ring_schedule.hpp"
#include "allreduce_peers.hpp"

namespace dmlp::bench {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void tune(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Sends `out` to `to` while receiving `in` from `from`, whichever is ready.
void exchange(int to, const char* out, size_t out_len, int from, char* in, size_t in_len) {
  size_t sent = 0;
  size_t got = 0;
  while (sent < out_len || got < in_len) {
    pollfd fds[2] = {{to, static_cast<short>(sent < out_len ? POLLOUT : 0), 0},
                     {from, static_cast<short>(got < in_len ? POLLIN : 0), 0}};
    if (::poll(fds, 2, 60'000) <= 0)
      fail("tcp ring: poll");
    if (fds[0].revents & (POLLERR | POLLHUP) || fds[1].revents & POLLERR)
      throw std::runtime_error("tcp ring: a peer closed its socket");
    if (fds[0].revents & POLLOUT) {
      auto n = ::send(to, out + sent, out_len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN)
        fail("tcp ring: send");
      sent += n > 0 ? static_cast<size_t>(n) : 0;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      auto n = ::recv(from, in + got, in_len - got, 0);
      if (n == 0)
        throw std::runtime_error("tcp ring: the previous rank closed its socket");
      if (n < 0 && errno != EAGAIN)
        fail("tcp ring: recv");
      got += n > 0 ? static_cast<size_t>(n) : 0;
    }
  }
}

} // namespace

tcp_ring::tcp_ring(uint32_t rank, uint32_t ranks) : rank_(rank), ranks_(ranks) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0)
    fail("tcp ring: socket");
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 4) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail("tcp ring: listen");
  port_ = ntohs(addr.sin_port);
}

tcp_ring::~tcp_ring() {
  for (int fd : {listener_, to_next_, from_prev_})
    if (fd >= 0)
      ::close(fd);
}

uint16_t tcp_ring::port() const {
  return port_;
}

void tcp_ring::connect(uint16_t next_port) {
  to_next_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(next_port);
  // Every rank listens before any connects, so the connection lands in the backlog.
  if (to_next_ < 0 || ::connect(to_next_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    fail("tcp ring: connect to the next rank");
  from_prev_ = ::accept(listener_, nullptr, nullptr);
  if (from_prev_ < 0)
    fail("tcp ring: accept from the previous rank");
  tune(to_next_);
  tune(from_prev_);
}

std::vector<double> tcp_ring::run(std::vector<float>& buffer, uint32_t iterations) {
  using training::chunk_range;
  std::vector<double> times;
  auto n = ranks_;
  for (uint32_t it = 0; it < iterations; ++it) {
    auto start = std::chrono::steady_clock::now();
    for (uint32_t phase = 0; phase < 2; ++phase)
      for (uint32_t hop = 0; hop + 1 < n; ++hop) {
        auto h = phase == 0 ? training::reduce_scatter_hop(rank_, n, hop)
                            : training::all_gather_hop(rank_, n, hop);
        auto out = chunk_range(buffer.size(), n, h.send);
        auto in = chunk_range(buffer.size(), n, h.recv);
        // All-gather overwrites: receive in place. Reduce-scatter adds: receive aside.
        float* target = buffer.data() + in.begin;
        if (phase == 0) {
          scratch_.resize(in.size());
          target = scratch_.data();
        }
        exchange(to_next_, reinterpret_cast<const char*>(buffer.data() + out.begin),
                 out.size() * sizeof(float), from_prev_, reinterpret_cast<char*>(target),
                 in.size() * sizeof(float));
        if (phase == 0)
          for (size_t i = 0; i < in.size(); ++i)
            buffer[in.begin + i] = scratch_[i] + buffer[in.begin + i];
      }
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return times;
}

} // namespace dmlp::bench
