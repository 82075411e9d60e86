// Error codes of the training role (actors/training): jobs, trainers, parameter-server shards
// and their checkpoints. describe() prints them as "training.<name>: …" once
// register_training_errors() ran. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

namespace dmlp::training {

/// Why a training operation failed.
enum class training_errc : uint8_t {
  /// An option is out of range or inconsistent (e.g. min > max workers). Retry: no.
  invalid_option = 1,
  /// A batch, gradient or state bundle has the wrong tensors, shapes or sizes. Retry: no.
  bad_bundle,
  /// libtorch raised an error while computing. Retry: maybe.
  compute_failed,
  /// A checkpoint file is corrupt, truncated or for another shard layout. Retry: no.
  bad_checkpoint,
  /// A peer (coordinator, shard, master) did not answer in time. Retry: yes.
  peer_timeout,
  /// The job ended without every worker placed or without a result. Retry: yes.
  job_failed,
  /// No GPU / NCCL communicator is available at run time. Retry: no (the CPU ring is used).
  nccl_unavailable,
  /// The job stopped at a step boundary on request and saved its state. Retry: yes (resume
  /// from the state directory).
  stopped,
  /// A direct ring link (ring_link.hpp) was refused, broke, or carried malformed bytes; the
  /// running step fails. Retry: yes (the master aborts the step and re-forms the ring).
  link_failed,
};

/// Returns the code's name, e.g. "bad_bundle".
std::string to_string(training_errc code);

/// Teaches describe() the names (for processes that only print errors).
void register_training_error_names();

/// Registers the "training" error category with `cfg` and teaches describe() its names.
void register_training_errors(caf::actor_system_config& cfg);

} // namespace dmlp::training

CAF_ERROR_CODE_ENUM(dmlp::training::training_errc, "training")
