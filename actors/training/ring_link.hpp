// The direct ring link: a CAF io broker that runs one rank's ring all-reduce (ring_allreduce.hpp)
// over plain TCP to the next rank's link, for trainers whose ring spans processes. Brokers run
// on the middleman's multiplexer thread, and the link drives the ring itself: a chunk goes
// link → kernel → next link, which folds it straight from its read buffer and sends the hop it
// unlocked straight from the step's buffer, the frames queued together in one system call
// (through CAF's write buffer only the frame the socket had no room for) — no thread hand-off and
// no user-space copy per hop beyond CAF's read buffer (CAF's actor messages between processes cost
// four hand-offs and several copies).
//
// Protocol (local messages; only ring_address_atom crosses processes, through the owning trainer):
//   (ring_address_atom)  -> (host, port, nonce): where the previous rank's link must connect and
//                           the nonce its hello must present (docs/training.md). The nonce,
//                           random per link, travels only over the authenticated actor channel,
//                           so a stranger who finds the port cannot inject chunks.
//   (ring_run_atom, step, rank, ranks, next_host, next_port, next_nonce, buffer)
//                        starts `step` on `buffer` (moved in), connecting to the next rank's
//                        link first unless already connected to that address; the sender later
//                        receives (ring_done_atom, step, buffer) with the sum, or
//                        (ring_failed_atom, step, error): training_errc::link_failed when the
//                        next link cannot be reached within connect_timeout,
//                        training_errc::bad_bundle when a peer sent malformed bytes (that
//                        connection is closed). The trainer reports a link_failed step to its
//                        job master, which aborts it and, after repeated failures, turns the
//                        job's links off (ring_off_atom): its rings go on over actor messages.
//   (train_abort_atom, step)  abandons `step` if it runs; its late chunks are dropped.
//   (ring_kept_atom)     -> size_t: chunks kept for steps that have not started (diagnostics).
// Chunks of a step that has not started here are kept (ring_allreduce), so neighbours need not
// start together. An aborted step's frames not yet begun are dropped and one begun is finished,
// so no half frame is left on a live connection; a new ring membership connects anew. A
// neighbour closing its connection leaves the running step alone (the job master aborts steps
// on member loss). The link refuses a hello with a wrong nonce and closes that connection
// without touching the running step. Not for TLS clusters: the connection is plaintext (the trainer
// then keeps CAF's TLS-protected actor messages). Thread safety: an actor; talk to it with
// messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <spdlog/fwd.h>

namespace dmlp::training {

/// Asks a trainer or its link where the link listens: replies (std::string host, uint16_t port,
/// uint64_t nonce). Crosses processes with CAF's built-in types only.
using ring_address_atom = caf::atom_constant<caf::atom("rladdress")>;
/// Starts a step on a link (see the header paragraph).
using ring_run_atom = caf::atom_constant<caf::atom("rlrun")>;
/// A link's step finished: (ring_done_atom, uint64_t step, std::vector<float> sum).
using ring_done_atom = caf::atom_constant<caf::atom("rldone")>;
/// A link's step failed: (ring_failed_atom, uint64_t step, caf::error); the link is ready for
/// the next step.
using ring_failed_atom = caf::atom_constant<caf::atom("rlfailed")>;

/// To a trainer, from its job master: stop using the ring link, run rings over actor messages
/// (train_chunk) from the next step on. Crosses processes with no payload.
using ring_off_atom = caf::atom_constant<caf::atom("rloff")>;

/// Asks a link how many chunks it keeps for steps that have not started: replies size_t.
using ring_kept_atom = caf::atom_constant<caf::atom("rlkept")>;

/// Options of one ring link.
struct ring_link_options {
  /// Address the link listens on (the node's node.host). Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  /// Fusion bucket size in floats (0: one bucket). Default: 65536, the trainer's.
  size_t bucket_elems = 65536;
  /// Where refused connections and failed steps are logged; may be null. Default: none.
  std::shared_ptr<spdlog::logger> log;
  /// Address the previous rank is told to connect to. Default: empty, which means
  /// runtime::advertised_host(host): `host`, or the host name when `host` is 0.0.0.0.
  std::string advertise;
  /// Longest wait for the connection to the next rank's link; the step fails with
  /// training_errc::link_failed after it (the connect blocks the middleman thread, so it is
  /// kept short). Default: 2 s.
  std::chrono::milliseconds connect_timeout{2000};
};

/// Spawns a link in `sys`, listening on `options.host` at a free port; link_failed when `sys`
/// did not load the middleman.
caf::expected<caf::actor> spawn_ring_link(caf::actor_system& sys, ring_link_options options);

} // namespace dmlp::training
