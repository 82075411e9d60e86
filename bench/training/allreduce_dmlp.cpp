// dmlp's side of bench_allreduce: a ring member actor that drives ring_allreduce exactly as
// the trainer does (start a step, forward what receive() returns, done when every bucket is),
// with train_chunk messages crossing processes through CAF's middleman.
#include <chrono>
#include <stdexcept>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/training/ring_allreduce.hpp"
#include "allreduce_peers.hpp"
#include "messages/training.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using next_atom = caf::atom_constant<caf::atom("ar_next")>;
using run_atom = caf::atom_constant<caf::atom("ar_run")>;

// Shared with the owning thread only while the member is idle: the thread writes the buffer
// before a run request and reads times after the reply.
struct member_data {
  std::vector<float>* buffer = nullptr;
  std::vector<double> times;
};

struct member_state {
  static inline const char* name = "dmlp.bench.ring_member";
  training::ring_allreduce ring{0};
  caf::actor next;
  uint32_t rank = 0;
  uint32_t ranks = 1;
  uint64_t step = 0;
  uint32_t remaining = 0;
  clock_type::time_point started;
  std::shared_ptr<member_data> data;
  caf::response_promise finished;
};

using member_actor = caf::stateful_actor<member_state>;

void send_all(member_actor* self, caf::expected<std::vector<train_chunk>> chunks);

void begin_iteration(member_actor* self) {
  auto& st = self->state;
  st.started = clock_type::now();
  auto& buf = *st.data->buffer;
  send_all(self, st.ring.start(++st.step, st.rank, st.ranks, buf.data(), buf.size()));
}

void end_iterations(member_actor* self) {
  auto& st = self->state;
  while (st.remaining > 0 && st.ring.done()) {
    st.data->times.push_back(std::chrono::duration<double>(clock_type::now() - st.started).count());
    if (--st.remaining == 0) {
      st.finished.deliver(caf::unit);
      return;
    }
    begin_iteration(self);
  }
}

void send_all(member_actor* self, caf::expected<std::vector<train_chunk>> chunks) {
  if (!chunks) {
    self->quit(chunks.error());
    return;
  }
  for (auto& c : *chunks)
    self->send(self->state.next, std::move(c));
}

caf::behavior ring_member(member_actor* self, uint32_t rank, uint32_t ranks, size_t bucket_elems,
                          std::shared_ptr<member_data> data) {
  auto& st = self->state;
  st.ring = training::ring_allreduce{bucket_elems};
  st.rank = rank;
  st.ranks = ranks;
  st.data = std::move(data);
  return {
      [self](next_atom, caf::actor next) { self->state.next = std::move(next); },
      [self](run_atom, uint32_t iterations) -> caf::result<void> {
        auto& st = self->state;
        st.data->times.clear();
        st.remaining = iterations;
        st.finished = self->make_response_promise();
        if (iterations == 0) {
          st.finished.deliver(caf::unit);
          return st.finished;
        }
        begin_iteration(self);
        end_iterations(self);
        return st.finished;
      },
      [self](train_chunk& c) {
        send_all(self, self->state.ring.receive(std::move(c)));
        end_iterations(self);
      },
  };
}

[[noreturn]] void fail(const std::string& what, const caf::error& err) {
  throw std::runtime_error(what + ": " + caf::to_string(err));
}

caf::actor_system_config& with_middleman(caf::actor_system_config& cfg) {
  runtime::configure_actor_system(cfg);
  cfg.load<caf::io::middleman>();
  return cfg;
}

} // namespace

struct dmlp_ring::impl {
  caf::actor_system_config cfg;
  caf::actor_system sys{with_middleman(cfg)};
  std::shared_ptr<member_data> data = std::make_shared<member_data>();
  caf::actor member;
  uint16_t port = 0;
};

dmlp_ring::dmlp_ring(uint32_t rank, uint32_t ranks, size_t bucket_elems)
    : impl_(std::make_unique<impl>()) {
  impl_->member = impl_->sys.spawn(ring_member, rank, ranks, bucket_elems, impl_->data);
  auto port = impl_->sys.middleman().publish(impl_->member, 0, "127.0.0.1", true);
  if (!port)
    fail("publishing the ring member", port.error());
  impl_->port = *port;
}

dmlp_ring::~dmlp_ring() {
  caf::anon_send_exit(impl_->member, caf::exit_reason::user_shutdown);
}

uint16_t dmlp_ring::port() const {
  return impl_->port;
}

void dmlp_ring::connect(uint16_t next_port) {
  auto next = impl_->sys.middleman().remote_actor("127.0.0.1", next_port);
  if (!next)
    fail("connecting to the next rank", next.error());
  caf::anon_send(impl_->member, next_atom::value, *next);
}

std::vector<double> dmlp_ring::run(std::vector<float>& buffer, uint32_t iterations) {
  impl_->data->buffer = &buffer;
  caf::scoped_actor self{impl_->sys};
  caf::error failure;
  self->request(impl_->member, std::chrono::seconds(120), run_atom::value, iterations)
      .receive([] {}, [&](caf::error& err) { failure = std::move(err); });
  if (failure)
    fail("dmlp ring all-reduce", failure);
  return impl_->data->times;
}

} // namespace dmlp::bench
