// dmlp's side of bench_allreduce: the ring between worker processes. With the link transport
// (method dmlp, the path trainers in different processes take) each rank's ring link
// (actors/training/ring_link.hpp) is published through CAF's middleman so that the previous
// rank asks it where its ring connection listens, as a trainer asks its next trainer, and each
// all-reduce hands the buffer to the link and waits for the sum, as the trainer does once per
// step. The BASP transport (method dmlp_basp) publishes a ring member actor instead
// (allreduce_dmlp_basp.cpp). Also the bench's shared helpers (with_middleman, fail_with).
#include <chrono>
#include <stdexcept>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/training/ring_link.hpp"
#include "allreduce_peers.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::bench {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto answer_timeout = std::chrono::seconds(120);

} // namespace

caf::actor_system_config& with_middleman(caf::actor_system_config& cfg) {
  runtime::configure_actor_system(cfg);
  cfg.load<caf::io::middleman>();
  return cfg;
}

void fail_with(const std::string& what, const caf::error& err) {
  throw std::runtime_error(what + ": " + caf::to_string(err));
}

struct dmlp_ring::impl {
  caf::actor_system_config cfg;
  caf::actor_system sys{with_middleman(cfg)};
  dmlp_transport transport = dmlp_transport::link;
  // The link or the ring member actor.
  caf::actor ring;
  uint16_t port = 0;
  uint32_t rank = 0;
  uint32_t ranks = 1;
  std::string next_host;
  uint16_t next_port = 0;
  uint64_t next_nonce = 0;
  uint64_t step = 0;

  void connect_link(const caf::actor& next);
  std::vector<double> run_link(std::vector<float>& buffer, uint32_t iterations);
};

void dmlp_ring::impl::connect_link(const caf::actor& next) {
  caf::scoped_actor self{sys};
  caf::error failure;
  self->request(next, answer_timeout, training::ring_address_atom::value)
      .receive(
          [&](std::string& host, uint16_t port, uint64_t nonce) {
            next_host = std::move(host);
            next_port = port;
            next_nonce = nonce;
          },
          [&](caf::error& err) { failure = std::move(err); });
  if (failure)
    fail_with("asking the next rank where its link listens", failure);
}

std::vector<double> dmlp_ring::impl::run_link(std::vector<float>& buffer, uint32_t iterations) {
  caf::scoped_actor self{sys};
  std::vector<double> times;
  for (uint32_t i = 0; i < iterations; ++i) {
    auto started = clock_type::now();
    self->send(ring, training::ring_run_atom::value, ++step, rank, ranks, next_host, next_port,
               next_nonce, std::move(buffer));
    caf::error failure;
    self->receive(
        [&](training::ring_done_atom, uint64_t, std::vector<float>& sum) {
          buffer = std::move(sum);
        },
        [&](training::ring_failed_atom, uint64_t, caf::error& err) { failure = std::move(err); },
        caf::after(answer_timeout) >>
            [&] { failure = caf::make_error(caf::sec::request_timeout); });
    if (failure)
      fail_with("dmlp ring all-reduce", failure);
    times.push_back(std::chrono::duration<double>(clock_type::now() - started).count());
  }
  return times;
}

dmlp_ring::dmlp_ring(uint32_t rank, uint32_t ranks, size_t bucket_elems, dmlp_transport transport)
    : impl_(std::make_unique<impl>()) {
  impl_->transport = transport;
  impl_->rank = rank;
  impl_->ranks = ranks;
  if (transport == dmlp_transport::basp) {
    impl_->ring = spawn_basp_member(impl_->sys, rank, ranks, bucket_elems);
  } else {
    training::ring_link_options options;
    options.host = "127.0.0.1";
    options.bucket_elems = bucket_elems;
    auto link = training::spawn_ring_link(impl_->sys, std::move(options));
    if (!link)
      fail_with("starting the ring link", link.error());
    impl_->ring = *link;
  }
  auto port = impl_->sys.middleman().publish(impl_->ring, 0, "127.0.0.1", true);
  if (!port)
    fail_with("publishing the ring", port.error());
  impl_->port = *port;
}

dmlp_ring::~dmlp_ring() {
  caf::anon_send_exit(impl_->ring, caf::exit_reason::user_shutdown);
}

uint16_t dmlp_ring::port() const {
  return impl_->port;
}

void dmlp_ring::connect(uint16_t next_port) {
  auto next = impl_->sys.middleman().remote_actor("127.0.0.1", next_port);
  if (!next)
    fail_with("reaching the next rank", next.error());
  if (impl_->transport == dmlp_transport::basp)
    connect_basp_member(impl_->ring, *next);
  else
    impl_->connect_link(*next);
}

std::vector<double> dmlp_ring::run(std::vector<float>& buffer, uint32_t iterations) {
  if (impl_->transport == dmlp_transport::basp)
    return run_basp_member(impl_->sys, impl_->ring, buffer, iterations);
  return impl_->run_link(buffer, iterations);
}

} // namespace dmlp::bench
