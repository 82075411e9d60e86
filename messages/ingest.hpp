// The ingest protocol: the messages a trainer exchanges with an ingest coordinator
// (actors/ingest/coordinator.hpp). A trainer uses nothing else of the ingest role. Plain structs
// with CAF 0.17 inspect overloads, registered in messages/type_ids.hpp. docs/ingest.md walks
// through a trainer's side of the conversation.
//
// Trainer → coordinator (each a request; the trainer must give it a finite timeout):
//   ingest_register  -> ingest_job   join the job; re-registering an id that is already a member
//                                    means its previous incarnation is gone (its batches return)
//   ingest_credit    -> void         grant credits: "send me up to N more batches"
//   ingest_ack       -> void         batch done (exactly once per batch), optionally with credits
//   ingest_leave     -> void         leave the job; outstanding batches go to the others
//   ingest_test_request -> ingest_batch   a slice of the test split (evaluation)
//   ingest_status_atom  -> ingest_status  progress of the job
// Coordinator → the job's fence actor (its job master), when a trainer is lost with batches
// outstanding (each a request with a finite timeout):
//   ingest_fence     -> ingest_fenced  which of them the job trained; the coordinator
//                                      acknowledges those on the trainer's behalf and returns
//                                      the rest to the others (docs/ingest.md, "Fencing")
// Coordinator → trainer (asynchronous sends to the registering actor):
//   ingest_batch      one training batch; at most `window` are outstanding per trainer
//   ingest_epoch_end  every batch of an epoch was acknowledged (`last` after max_epochs)
// Delivery: a coordinator restarted by its supervisor re-sends a trainer's outstanding batches
// when that trainer next contacts it, so a trainer must drop an (epoch, batch) it has already
// received. A trainer that holds credits and receives nothing for a while sends
// ingest_credit{id, 0} to re-attach. Errors: ingest_errc (actors/ingest/errors.hpp), e.g.
// unknown_trainer (register again) and not_outstanding (drop the batch: it went elsewhere).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/preprocessing.hpp"
#include "messages/tensor_bundle.hpp"

namespace dmlp {

/// Join a job (trainer → coordinator; replies ingest_job).
struct ingest_register {
  /// The trainer's id, unique within the job and stable across the trainer's restarts.
  std::string trainer;
  /// Most batches the trainer lets be outstanding (sent, unacknowledged); at least 1. Default: 4.
  uint32_t window = 4;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_register& x) {
  return f(caf::meta::type_name("ingest_register"), x.trainer, x.window);
}

/// What a trainer learns when it registers.
struct ingest_job {
  /// Dataset name, e.g. "fashion-mnist".
  std::string dataset;
  /// Content key of the samples served (the disk cache key).
  std::string cache_key;
  /// Training samples per epoch.
  uint64_t train_samples = 0;
  /// Test samples available through ingest_test_request.
  uint64_t test_samples = 0;
  /// Samples per batch (the last batch of an epoch may be shorter).
  uint32_t batch_size = 0;
  /// Batches per epoch.
  uint64_t batches_per_epoch = 0;
  /// The epoch being served.
  uint64_t epoch = 0;
  /// Epochs the job serves; 0 = unbounded.
  uint32_t max_epochs = 0;
  /// The window granted to this trainer.
  uint32_t window = 0;
  /// The transform the samples went through; store it with the trained model.
  preprocessing transform;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_job& x) {
  return f(caf::meta::type_name("ingest_job"), x.dataset, x.cache_key, x.train_samples,
           x.test_samples, x.batch_size, x.batches_per_epoch, x.epoch, x.max_epochs, x.window,
           x.transform);
}

/// Leave a job (trainer → coordinator; replies void).
struct ingest_leave {
  /// The trainer's id.
  std::string trainer;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_leave& x) {
  return f(caf::meta::type_name("ingest_leave"), x.trainer);
}

/// Grant credits: the trainer will take `credits` more batches (trainer → coordinator;
/// replies void). Zero credits only re-attaches the sender after a coordinator restart.
struct ingest_credit {
  /// The trainer's id.
  std::string trainer;
  /// Additional batches the trainer is ready for.
  uint32_t credits = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_credit& x) {
  return f(caf::meta::type_name("ingest_credit"), x.trainer, x.credits);
}

/// A batch was trained (trainer → coordinator; replies void or ingest_errc::not_outstanding).
struct ingest_ack {
  /// The trainer's id.
  std::string trainer;
  /// The batch's epoch.
  uint64_t epoch = 0;
  /// The batch's id within its epoch.
  uint64_t batch = 0;
  /// Credits granted along with the acknowledgement (usually 1). Default: 0.
  uint32_t credits = 0;
  /// Sent on the trainer's behalf (the job master with a commit), not by the trainer: the
  /// sender is not where the trainer's batches go. Default: false.
  bool on_behalf = false;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_ack& x) {
  return f(caf::meta::type_name("ingest_ack"), x.trainer, x.epoch, x.batch, x.credits, x.on_behalf);
}

/// One batch (coordinator → trainer, or the reply to ingest_test_request).
struct ingest_batch {
  /// The epoch (0 for test batches).
  uint64_t epoch = 0;
  /// The batch id within the epoch (the first index for test batches).
  uint64_t batch = 0;
  /// Samples in the batch.
  uint32_t size = 0;
  /// The transform the samples went through.
  preprocessing transform;
  /// A TensorBundle: "images" float32 [size, channels, height, width], "labels" int64 [size],
  /// "indices" int64 [size] (the samples' indices in their split).
  encoded_bundle data;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_batch& x) {
  return f(caf::meta::type_name("ingest_batch"), x.epoch, x.batch, x.size, x.transform, x.data);
}

/// Every batch of `epoch` was acknowledged (coordinator → every registered trainer).
struct ingest_epoch_end {
  /// The completed epoch.
  uint64_t epoch = 0;
  /// Samples acknowledged in it (the training split's size).
  uint64_t samples = 0;
  /// Whether the job has served its max_epochs and sends no more batches.
  bool last = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_epoch_end& x) {
  return f(caf::meta::type_name("ingest_epoch_end"), x.epoch, x.samples, x.last);
}

/// Ask for test samples [first, first + count) (trainer → coordinator; replies ingest_batch).
struct ingest_test_request {
  /// Index of the first test sample.
  uint64_t first = 0;
  /// Number of samples; clipped to the split's end.
  uint32_t count = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_test_request& x) {
  return f(caf::meta::type_name("ingest_test_request"), x.first, x.count);
}

/// Progress of a job (the reply to ingest_status_atom).
struct ingest_status {
  /// The epoch being served.
  uint64_t epoch = 0;
  /// Batches acknowledged in the current epoch.
  uint64_t batches_done = 0;
  /// Batches per epoch.
  uint64_t batches_per_epoch = 0;
  /// Batches acknowledged over the job's life.
  uint64_t total_acked = 0;
  /// Batches outstanding at all trainers.
  uint64_t outstanding = 0;
  /// Registered trainers.
  uint32_t trainers = 0;
  /// Whether the job served max_epochs.
  bool finished = false;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_status& x) {
  return f(caf::meta::type_name("ingest_status"), x.epoch, x.batches_done, x.batches_per_epoch,
           x.total_acked, x.outstanding, x.trainers, x.finished);
}

/// One training batch by its ids, with its size.
struct batch_ref {
  /// The batch's epoch.
  uint64_t epoch = 0;
  /// The batch's id within its epoch.
  uint64_t batch = 0;
  /// Samples in the batch.
  uint64_t samples = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, batch_ref& x) {
  return f(caf::meta::type_name("batch_ref"), x.epoch, x.batch, x.samples);
}

/// A trainer is lost with batches outstanding: which of them did the job train? (coordinator →
/// fence actor; replies ingest_fenced). Once the fence actor answers, nothing the lost trainer
/// sent may change the model any more, so the answer is final.
struct ingest_fence {
  /// The trainer's id.
  std::string trainer;
  /// The lost incarnation (invalid when the coordinator never saw it since a restart).
  caf::actor handle;
  /// Its outstanding batches.
  std::vector<batch_ref> outstanding;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_fence& x) {
  return f(caf::meta::type_name("ingest_fence"), x.trainer, x.handle, x.outstanding);
}

/// The batches of an ingest_fence that were trained (their updates are in the model).
struct ingest_fenced {
  /// A subset of the fence's `outstanding`.
  std::vector<batch_ref> trained;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_fenced& x) {
  return f(caf::meta::type_name("ingest_fenced"), x.trained);
}

} // namespace dmlp
