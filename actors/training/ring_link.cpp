#include "actors/training/ring_link.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/native_socket.hpp>
#include <spdlog/spdlog.h>

#include "actors/training/errors.hpp"
#include "actors/training/ring_allreduce.hpp"
#include "actors/training/ring_frame.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "runtime/advertised_host.hpp"

namespace dmlp::training {

namespace {

// Frames of a whole-buffer bucket (bucket_elems 0) are bounded only by this.
constexpr size_t max_unbucketed_payload = size_t{1} << 30;

struct peer_address {
  std::string host;
  uint16_t port = 0;
  uint64_t nonce = 0;

  bool operator==(const peer_address& other) const {
    return host == other.host && port == other.port && nonce == other.nonce;
  }
};

// A frame on its way to the next rank. Its floats are read in place from the step's buffer: a
// range that was sent is not written here again before the next rank has read it (the next
// write into it is the all-gather copy of a sum that includes this very chunk), so the view
// stays valid while queued; only handing the buffer back must wait for the queue or drop it.
struct outgoing_frame {
  std::array<char, ring_frame_header_size> header;
  const char* payload = nullptr;
  size_t payload_bytes = 0;

  size_t size() const { return ring_frame_header_size + payload_bytes; }
};

// What an accepted connection reads next.
struct reader {
  bool greeted = false;
  std::optional<ring_frame_header> header;
};

struct ring_link_state {
  static inline const char* name = "dmlp.ring_link";

  ring_link_options opt;
  uint16_t port = 0;
  uint64_t nonce = 0;
  size_t max_payload = 0;
  ring_allreduce ring{0};
  std::vector<float> buffer;
  // The trainer that started the running step; cleared once it has its answer.
  caf::actor requester;
  std::unordered_map<caf::io::connection_handle, reader> readers;
  std::optional<caf::io::connection_handle> prev;
  std::optional<caf::io::connection_handle> next;
  std::optional<peer_address> next_address;
  // The next connection's socket, written directly while CAF holds none of its bytes.
  caf::io::network::native_socket next_fd = caf::io::network::invalid_native_socket;
  std::deque<outgoing_frame> outgoing;
  // Bytes of the next connection in CAF's write buffers (data_transferred_msg keeps it current).
  size_t caf_queued = 0;
};

using link_actor = caf::io::stateful_broker<ring_link_state>;

void log_warning(link_actor* self, const std::string& what) {
  if (self->state.opt.log)
    self->state.opt.log->warn("ring link on port {}: {}", self->state.port, what);
}

// Moves `frame` from byte `sent` on into CAF's write buffer: the stream stays whole, and CAF
// reports (data_transferred_msg) when the socket took it.
void hand_to_caf(link_actor* self, const outgoing_frame& frame, size_t sent) {
  auto& st = self->state;
  auto& out = self->wr_buf(*st.next);
  auto before = out.size();
  if (sent < ring_frame_header_size)
    out.insert(out.end(), frame.header.begin() + sent, frame.header.end());
  auto payload_sent = sent > ring_frame_header_size ? sent - ring_frame_header_size : 0;
  out.insert(out.end(), frame.payload + payload_sent, frame.payload + frame.payload_bytes);
  st.caf_queued += out.size() - before;
  self->flush(*st.next);
}

// Forgets the frames not sent yet (the buffer they point into goes away). None is partly in the
// socket: pump() hands the rest of such a frame to CAF at once, so no half frame is left.
void drop_outgoing(link_actor* self) {
  self->state.outgoing.clear();
}

// Abandons the running step and tells its requester why.
void fail_step(link_actor* self, const caf::error& err) {
  auto& st = self->state;
  log_warning(self, describe(err));
  if (!st.ring.running())
    return;
  auto step = st.ring.step();
  drop_outgoing(self);
  st.ring.reset();
  st.buffer = {};
  if (st.requester)
    self->send(st.requester, ring_failed_atom::value, step, err);
  st.requester = {};
}

void drop_connection(link_actor* self, caf::io::connection_handle hdl) {
  auto& st = self->state;
  self->close(hdl);
  st.readers.erase(hdl);
  if (st.prev == hdl)
    st.prev.reset();
  if (st.next == hdl) {
    st.next.reset();
    st.next_address.reset();
    st.next_fd = caf::io::network::invalid_native_socket;
    st.outgoing.clear();
    st.caf_queued = 0;
  }
}

// Hands the sum back once every bucket holds it and no queued frame still reads the buffer.
void finish_if_done(link_actor* self) {
  auto& st = self->state;
  if (!st.ring.done() || !st.requester || !st.outgoing.empty())
    return;
  self->send(st.requester, ring_done_atom::value, st.ring.step(), std::move(st.buffer));
  st.buffer = {};
  st.requester = {};
}

// Frames handed to one sendmsg at most. The hops a step queues at once (the first hop of every
// bucket) go out together: one sendmsg per 128 KiB frame made a 4 MiB all-reduce of two ranks
// take 3.3 ms where 2.5 ms with them batched (bench_allreduce, docs/training.md).
constexpr size_t max_frames_per_write = 32;

// Writes queued frames straight from the step's buffer into the socket, several per system call,
// while CAF holds none of the connection's bytes; when the socket is full, the rest of the frame
// it stopped in goes to CAF, whose report that it was written (data_transferred_msg) resumes the
// queue.
void pump(link_actor* self) {
  auto& st = self->state;
  std::array<iovec, 2 * max_frames_per_write> parts;
  while (!st.outgoing.empty() && st.caf_queued == 0 && st.next) {
    size_t used = 0;
    size_t frames = std::min(st.outgoing.size(), max_frames_per_write);
    for (size_t i = 0; i < frames; ++i) {
      auto& frame = st.outgoing[i];
      parts[used++] = {frame.header.data(), ring_frame_header_size};
      if (frame.payload_bytes > 0)
        parts[used++] = {const_cast<char*>(frame.payload), frame.payload_bytes};
    }
    msghdr msg{};
    msg.msg_iov = parts.data();
    msg.msg_iovlen = used;
    auto written = ::sendmsg(st.next_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      // CAF notices the broken connection too and reports it closed.
      log_warning(self, std::string{"writing to the next rank failed: "} + std::strerror(errno));
      st.outgoing.clear();
      break;
    }
    if (written < 0) {
      // The socket is full: CAF takes the next frame and reports when it has room again.
      hand_to_caf(self, st.outgoing.front(), 0);
      st.outgoing.pop_front();
      continue;
    }
    auto sent = static_cast<size_t>(written);
    while (!st.outgoing.empty() && sent >= st.outgoing.front().size()) {
      sent -= st.outgoing.front().size();
      st.outgoing.pop_front();
    }
    // A frame the socket took only part of: CAF sends the rest, so no half frame is left.
    if (sent > 0) {
      hand_to_caf(self, st.outgoing.front(), sent);
      st.outgoing.pop_front();
    }
  }
  finish_if_done(self);
}

// Queues what start_in_place/receive_values returned for the next rank, or fails the step.
void send_chunks(link_actor* self, caf::expected<std::vector<ring_chunk_view>> chunks) {
  auto& st = self->state;
  if (!chunks) {
    fail_step(self, chunks.error());
    return;
  }
  if (chunks->empty())
    return;
  if (!st.next) {
    fail_step(self, caf::make_error(training_errc::link_failed, "no connection to the next rank"));
    return;
  }
  for (const auto& c : *chunks)
    st.outgoing.push_back(outgoing_frame{encode_ring_frame_header(c),
                                         reinterpret_cast<const char*>(c.values),
                                         c.count * sizeof(float)});
  pump(self);
}

// A TCP connection to host:port within `timeout`, or why not. CAF's own connect has no time
// limit: an address that drops SYNs would hold the middleman thread (every remote actor message
// of the process) for minutes.
caf::expected<int> connect_within(const std::string& host, uint16_t port,
                                  std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  auto failed = [&](const std::string& why) {
    return caf::make_error(training_errc::link_failed, "cannot connect to the next rank at " +
                                                           host + ":" + service + ": " + why);
  };
  if (auto rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return failed(::gai_strerror(rc));
  std::string why = "no address";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int connected = -1;
  for (auto* a = found; a != nullptr && connected < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLOUT, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
      socklen_t len = sizeof(err);
      if (ready == 1)
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      else
        err = ready == 0 ? ETIMEDOUT : errno;
    }
    if (err == 0) {
      connected = fd;
    } else {
      why = std::strerror(err);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (connected < 0)
    return failed(why);
  return connected;
}

caf::error connect_next(link_actor* self, const peer_address& to) {
  auto& st = self->state;
  if (st.next && st.next_address == to)
    return {};
  if (st.next)
    drop_connection(self, *st.next);
  auto fd = connect_within(to.host, to.port, st.opt.connect_timeout);
  if (!fd)
    return fd.error();
  // Frames go out whole at once; Nagle's algorithm would only hold back their tails.
  caf::io::network::tcp_nodelay(*fd, true);
  auto hdl = self->add_scribe(*fd);
  st.next = hdl;
  st.next_address = to;
  st.next_fd = *fd;
  self->ack_writes(hdl, true);
  // The next rank never writes back; reading only notices when it closes.
  self->configure_read(hdl, caf::io::receive_policy::at_most(1024));
  auto hello = encode_ring_hello(to.nonce);
  auto& out = self->wr_buf(hdl);
  out.insert(out.end(), hello.begin(), hello.end());
  st.caf_queued = hello.size();
  self->flush(hdl);
  return {};
}

void on_hello(link_actor* self, caf::io::connection_handle hdl, const std::vector<char>& bytes) {
  auto& st = self->state;
  if (auto err = check_ring_hello(bytes.data(), bytes.size(), st.nonce)) {
    log_warning(self, "refused " + self->remote_addr(hdl) + ": " + describe(err));
    drop_connection(self, hdl);
    return;
  }
  // A new ring membership: the previous rank connected anew.
  if (st.prev)
    drop_connection(self, *st.prev);
  st.readers[hdl].greeted = true;
  st.prev = hdl;
  self->configure_read(hdl, caf::io::receive_policy::exactly(ring_frame_header_size));
}

void on_frame_bytes(link_actor* self, caf::io::connection_handle hdl,
                    const std::vector<char>& bytes) {
  auto& st = self->state;
  auto& r = st.readers[hdl];
  if (!r.header) {
    auto header = decode_ring_frame_header(bytes.data(), bytes.size(), st.max_payload);
    if (!header) {
      drop_connection(self, hdl);
      fail_step(self, header.error());
      return;
    }
    r.header = *header;
    if (header->payload_bytes > 0) {
      self->configure_read(hdl, caf::io::receive_policy::exactly(header->payload_bytes));
      return;
    }
  }
  auto where = r.header->where;
  auto count = r.header->payload_bytes / sizeof(float);
  if (bytes.size() != r.header->payload_bytes && count > 0) {
    drop_connection(self, hdl);
    fail_step(self, caf::make_error(training_errc::bad_bundle, "short ring link frame"));
    return;
  }
  r.header.reset();
  // The read buffer is heap storage, aligned for floats: fold from it in place.
  auto values = count > 0 ? reinterpret_cast<const float*>(bytes.data()) : nullptr;
  auto chunks = st.ring.receive_values(where, values, count);
  if (!chunks) {
    drop_connection(self, hdl);
    fail_step(self, chunks.error());
    return;
  }
  send_chunks(self, std::move(chunks));
  finish_if_done(self);
  if (st.readers.count(hdl) > 0)
    self->configure_read(hdl, caf::io::receive_policy::exactly(ring_frame_header_size));
}

caf::behavior ring_link_fun(link_actor* self, ring_link_options opt, caf::io::doorman_ptr doorman) {
  auto& st = self->state;
  st.opt = std::move(opt);
  if (st.opt.advertise.empty())
    st.opt.advertise = runtime::advertised_host(st.opt.host);
  st.port = doorman->port();
  st.nonce = std::random_device{}() | static_cast<uint64_t>(std::random_device{}()) << 32;
  st.max_payload =
      st.opt.bucket_elems > 0 ? st.opt.bucket_elems * sizeof(float) : max_unbucketed_payload;
  st.ring = ring_allreduce{st.opt.bucket_elems};
  self->add_doorman(std::move(doorman));
  return {
      [self](const caf::io::new_connection_msg& msg) {
        self->state.readers[msg.handle] = reader{};
        self->configure_read(msg.handle, caf::io::receive_policy::exactly(ring_hello_size));
      },
      [self](const caf::io::new_data_msg& msg) {
        auto& st = self->state;
        if (st.next == msg.handle) {
          drop_connection(self, msg.handle);
          fail_step(self, caf::make_error(training_errc::bad_bundle,
                                          "the next rank wrote to its ring link connection"));
          return;
        }
        auto it = st.readers.find(msg.handle);
        if (it == st.readers.end())
          return;
        if (!it->second.greeted)
          on_hello(self, msg.handle, msg.buf);
        else
          on_frame_bytes(self, msg.handle, msg.buf);
      },
      // A neighbour that closes its connection died (the master aborts the step on the member
      // loss) or left the ring for a new one (the step is aborted or its new previous rank
      // connects): either way the running step stays as it is.
      [self](const caf::io::connection_closed_msg& msg) {
        auto& st = self->state;
        if (st.prev == msg.handle || st.next == msg.handle)
          log_warning(self, "a neighbour closed its ring link connection");
        drop_connection(self, msg.handle);
      },
      [self](const caf::io::data_transferred_msg& msg) {
        auto& st = self->state;
        if (st.next != msg.handle)
          return;
        st.caf_queued = msg.remaining;
        pump(self);
      },
      [](const caf::io::acceptor_closed_msg&) {},
      [self](ring_address_atom) {
        auto& st = self->state;
        return caf::make_message(st.opt.advertise, st.port, st.nonce);
      },
      [self](ring_kept_atom) { return self->state.ring.pending(); },
      [self](ring_run_atom, uint64_t step, uint32_t rank, uint32_t ranks, std::string& next_host,
             uint16_t next_port, uint64_t next_nonce, std::vector<float>& buffer) {
        auto& st = self->state;
        // A step still owed an answer (its abort never came) gives way to the new one.
        if (st.requester)
          fail_step(self, caf::make_error(training_errc::link_failed,
                                          "step " + std::to_string(step) + " replaced step " +
                                              std::to_string(st.ring.step())));
        drop_outgoing(self);
        st.requester = caf::actor_cast<caf::actor>(self->current_sender());
        st.buffer = std::move(buffer);
        if (ranks > 1) {
          if (auto err = connect_next(self, peer_address{next_host, next_port, next_nonce})) {
            log_warning(self, describe(err));
            self->send(st.requester, ring_failed_atom::value, step, err);
            st.requester = {};
            st.buffer = {};
            return;
          }
        }
        send_chunks(self,
                    st.ring.start_in_place(step, rank, ranks, st.buffer.data(), st.buffer.size()));
        finish_if_done(self);
      },
      [self](train_abort_atom, uint64_t step) {
        auto& st = self->state;
        if (st.ring.running() && st.ring.step() == step) {
          drop_outgoing(self);
          st.ring.reset();
          st.buffer = {};
          st.requester = {};
        }
      },
  };
}

} // namespace

caf::expected<caf::actor> spawn_ring_link(caf::actor_system& sys, ring_link_options options) {
  if (!sys.has_middleman())
    return caf::make_error(training_errc::link_failed,
                           "ring links need an actor system with the middleman loaded");
  auto doorman = sys.middleman().backend().new_tcp_doorman(0, options.host.c_str(), true);
  if (!doorman)
    return caf::make_error(training_errc::link_failed,
                           "cannot listen on " + options.host + ": " + describe(doorman.error()));
  return sys.middleman().spawn_broker(ring_link_fun, std::move(options), std::move(*doorman));
}

} // namespace dmlp::training
