// The accuracy criterion for chaos, on full epochs (ctest label `long`): a trainer and
// the ingest coordinator (all-reduce), or a trainer, a PS shard and the coordinator (ps), are
// killed at seeded random points of a 2-epoch run over all 60,000 training images; the run
// completes with every sample trained exactly once per epoch, and its test accuracy on all
// 10,000 test images is within 1 point of the same run without faults.
#include <random>

#include <gtest/gtest.h>

#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"

using namespace dmlp::training;

namespace {

constexpr uint32_t epochs = 2;

job_options full_run(strategy kind) {
  job_options o;
  o.kind = kind;
  o.workers = 2;
  o.epochs = epochs;
  o.checkpoint_every = 50;
  return o;
}

void within_one_point(strategy kind, uint64_t seed) {
  auto clean = run_training(full_run(kind));
  ASSERT_TRUE(clean) << dmlp::describe(clean.error());
  auto o = full_run(kind);
  std::mt19937_64 rng{seed};
  // 60,000 / (2 × 64) ≈ 469 all-reduce steps per epoch; about twice as many PS pushes.
  uint64_t last = kind == strategy::allreduce ? 900 : 1800;
  std::uniform_int_distribution<uint64_t> at{10, last};
  o.events = {{job_event::kind::kill_trainer, at(rng), 0},
              {job_event::kind::kill_coordinator, at(rng), 0}};
  if (kind == strategy::ps)
    o.events.push_back({job_event::kind::kill_shard, at(rng), 1});
  auto faulty = run_training(o);
  ASSERT_TRUE(faulty) << dmlp::describe(faulty.error());
  EXPECT_GE(faulty->restarts, o.events.size());
  EXPECT_EQ(faulty->samples_trained, uint64_t{epochs} * 60000);
  EXPECT_EQ(faulty->samples_committed, uint64_t{epochs} * 60000);
  EXPECT_NEAR(faulty->test_accuracy, clean->test_accuracy, 0.01)
      << "clean " << clean->test_accuracy << ", with faults " << faulty->test_accuracy;
  std::cout << (kind == strategy::ps ? "ps" : "allreduce") << ": clean " << clean->test_accuracy
            << ", with faults " << faulty->test_accuracy << "\n";
}

} // namespace

TEST(training_chaos_accuracy, allreduce_within_one_point_of_the_fault_free_run) {
  within_one_point(strategy::allreduce, 21);
}

TEST(training_chaos_accuracy, ps_within_one_point_of_the_fault_free_run) {
  within_one_point(strategy::ps, 22);
}
