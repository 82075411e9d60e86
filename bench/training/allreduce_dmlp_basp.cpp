// dmlp's BASP path in bench_allreduce (method dmlp_basp): a ring member actor that drives
// ring_allreduce exactly as the trainer does without a direct ring link (start a step, forward
// what receive() returns, done when every bucket is), with train_chunk messages crossing
// processes through CAF's middleman: the path of TLS clusters.
#include <chrono>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "actors/training/ring_allreduce.hpp"
#include "allreduce_peers.hpp"
#include "messages/training.hpp"

namespace dmlp::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using next_atom = caf::atom_constant<caf::atom("ar_next")>;
using run_atom = caf::atom_constant<caf::atom("ar_run")>;

struct member_state {
  static inline const char* name = "dmlp.bench.basp_ring_member";
  training::ring_allreduce ring{0};
  caf::actor next;
  uint32_t rank = 0;
  uint32_t ranks = 1;
  uint64_t step = 0;
  uint32_t remaining = 0;
  clock_type::time_point started;
  // Held while a run lasts, handed back with the times.
  std::vector<float> buffer;
  std::vector<double> times;
  caf::response_promise finished;
};

using member_actor = caf::stateful_actor<member_state>;

void send_all(member_actor* self, caf::expected<std::vector<train_chunk>> chunks);

void begin_iteration(member_actor* self) {
  auto& st = self->state;
  st.started = clock_type::now();
  send_all(self, st.ring.start(++st.step, st.rank, st.ranks, st.buffer.data(), st.buffer.size()));
}

void end_iterations(member_actor* self) {
  auto& st = self->state;
  while (st.remaining > 0 && st.ring.done()) {
    st.times.push_back(std::chrono::duration<double>(clock_type::now() - st.started).count());
    if (--st.remaining == 0) {
      st.finished.deliver(std::move(st.buffer), std::move(st.times));
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

caf::behavior ring_member(member_actor* self, uint32_t rank, uint32_t ranks, size_t bucket_elems) {
  auto& st = self->state;
  st.ring = training::ring_allreduce{bucket_elems};
  st.rank = rank;
  st.ranks = ranks;
  return {
      [self](next_atom, caf::actor next) { self->state.next = std::move(next); },
      [self](run_atom, uint32_t iterations, std::vector<float>& buffer) {
        auto& st = self->state;
        st.buffer = std::move(buffer);
        st.times.clear();
        st.remaining = iterations;
        st.finished = self->make_response_promise();
        if (iterations == 0) {
          st.finished.deliver(std::move(st.buffer), std::move(st.times));
          return;
        }
        begin_iteration(self);
        end_iterations(self);
      },
      [self](train_chunk& c) {
        send_all(self, self->state.ring.receive(std::move(c)));
        end_iterations(self);
      },
  };
}

} // namespace

caf::actor spawn_basp_member(caf::actor_system& sys, uint32_t rank, uint32_t ranks,
                             size_t bucket_elems) {
  return sys.spawn(ring_member, rank, ranks, bucket_elems);
}

void connect_basp_member(const caf::actor& member, const caf::actor& next) {
  caf::anon_send(member, next_atom::value, next);
}

std::vector<double> run_basp_member(caf::actor_system& sys, const caf::actor& member,
                                    std::vector<float>& buffer, uint32_t iterations) {
  caf::scoped_actor self{sys};
  caf::error failure;
  std::vector<double> times;
  self->request(member, std::chrono::seconds(120), run_atom::value, iterations, std::move(buffer))
      .receive(
          [&](std::vector<float>& sum, std::vector<double>& t) {
            buffer = std::move(sum);
            times = std::move(t);
          },
          [&](caf::error& err) { failure = std::move(err); });
  if (failure)
    fail_with("dmlp BASP ring all-reduce", failure);
  return times;
}

} // namespace dmlp::bench
