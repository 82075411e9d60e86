// The all-reduce implementations that bench_allreduce compares, each run by one worker process
// per rank on loopback: dmlp's ring as trainers in different processes run it (direct ring
// links, actors/training/ring_link.hpp), dmlp's ring over train_chunk messages through CAF's
// middleman (the path of TLS clusters), c10d's ProcessGroupGloo, and a plain socket ring (the
// ceiling). Each all-reduces a float buffer in place, back to back, and returns the seconds of
// every iteration as this rank saw them; failures throw std::runtime_error. The buffer contents
// and the exact sums they must give are defined here too, so that every rank checks its result.
// One instance per worker process; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

namespace dmlp::bench {

/// Applies dmlp's actor-system settings to `cfg` and loads the middleman; returns `cfg`.
caf::actor_system_config& with_middleman(caf::actor_system_config& cfg);

/// Throws std::runtime_error saying `what` failed with `err`.
[[noreturn]] void fail_with(const std::string& what, const caf::error& err);

/// Fills rank `rank`'s input: (rank + 1) × (i mod 251 + 1), small integers that sum exactly.
void fill_input(std::vector<float>& buffer, uint32_t rank);

/// Checks that `buffer` holds the sum over `ranks` ranks after `iterations` back-to-back
/// all-reduces of fill_input's data (each one multiplies by `ranks`, exactly for 2 and 4).
/// Returns an empty string when it does, else where it does not.
std::string check_sum(const std::vector<float>& buffer, uint32_t ranks, uint32_t iterations);

/// How dmlp's ring crosses processes.
enum class dmlp_transport {
  /// Direct ring links (actors/training/ring_link.hpp): trainers in different processes.
  link,
  /// train_chunk messages through CAF's middleman: trainers on a TLS cluster.
  basp,
};

/// dmlp's ring between processes, driven as the trainer drives it: once per all-reduce the
/// buffer is handed to this rank's link (or ring member actor) and the sum handed back.
class dmlp_ring {
public:
  /// Starts an actor system with the middleman and publishes this rank's link or member on
  /// loopback, so that the previous rank can reach it through CAF, as trainers reach theirs.
  dmlp_ring(uint32_t rank, uint32_t ranks, size_t bucket_elems, dmlp_transport transport);
  ~dmlp_ring();
  /// The port this rank's link or member is published at.
  uint16_t port() const;
  /// Connects to the next rank's link or member (published at `next_port`).
  void connect(uint16_t next_port);
  /// Runs `iterations` all-reduces of `buffer`.
  std::vector<double> run(std::vector<float>& buffer, uint32_t iterations);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The BASP transport's ring member actor (allreduce_dmlp_basp.cpp).
caf::actor spawn_basp_member(caf::actor_system& sys, uint32_t rank, uint32_t ranks,
                             size_t bucket_elems);

/// Tells a ring member actor the next rank's member.
void connect_basp_member(const caf::actor& member, const caf::actor& next);

/// Runs `iterations` all-reduces of `buffer` on a ring member actor.
std::vector<double> run_basp_member(caf::actor_system& sys, const caf::actor& member,
                                    std::vector<float>& buffer, uint32_t iterations);

/// The ceiling: the same ring schedule over plain loopback sockets, no framing, no copies
/// beyond the kernel's.
class tcp_ring {
public:
  /// Opens a listening socket on loopback.
  tcp_ring(uint32_t rank, uint32_t ranks);
  ~tcp_ring();
  /// The listening port.
  uint16_t port() const;
  /// Connects to the next rank and accepts the previous one.
  void connect(uint16_t next_port);
  /// Runs `iterations` all-reduces of `buffer`.
  std::vector<double> run(std::vector<float>& buffer, uint32_t iterations);

private:
  uint32_t rank_;
  uint32_t ranks_;
  int listener_ = -1;
  int to_next_ = -1;
  int from_prev_ = -1;
  uint16_t port_ = 0;
  std::vector<float> scratch_;
};

/// libtorch's c10d ProcessGroupGloo on the loopback device, rendezvous through a FileStore.
class gloo_group {
public:
  /// Joins the group (collective: every rank constructs it with the same `store_path`).
  gloo_group(uint32_t rank, uint32_t ranks, const std::string& store_path);
  ~gloo_group();
  /// Runs `iterations` all-reduces (sum) of `buffer`.
  std::vector<double> run(std::vector<float>& buffer, uint32_t iterations);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace dmlp::bench
