// The accuracy criterion for chaos, on full epochs (ctest label `long`): a trainer and
// the ingest coordinator (all-reduce), or a trainer, a PS shard and the coordinator (ps), are
// killed at seeded random points of a 2-epoch run over all 60,000 training images; every run
// completes with every sample trained exactly once per epoch, and the test accuracy on all
// 10,000 test images with faults is within 1 point of the runs without faults. Which trainer
// gets which batch depends on timing, so two fault-free runs alone differ by up to half a point
// (0.8518 and 0.8568 for ps): one run against one run compares that noise as much as the
// faults. The test therefore compares the medians of three runs each, the faulty ones with
// three different sets of kill points.
#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"

using namespace dmlp::training;

namespace {

constexpr uint32_t epochs = 2;
constexpr int runs = 3;

job_options full_run(strategy kind) {
  job_options o;
  o.kind = kind;
  o.workers = 2;
  o.epochs = epochs;
  o.checkpoint_every = 50;
  return o;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

void within_one_point(strategy kind, uint64_t seed) {
  const char* name = kind == strategy::ps ? "ps" : "allreduce";
  std::vector<double> clean, faulty;
  for (int i = 0; i < runs; ++i) {
    auto r = run_training(full_run(kind));
    ASSERT_TRUE(r) << dmlp::describe(r.error());
    clean.push_back(r->test_accuracy);
  }
  std::mt19937_64 rng{seed};
  // 60,000 / (2 × 64) ≈ 469 all-reduce steps per epoch; about twice as many PS pushes.
  uint64_t last = kind == strategy::allreduce ? 900 : 1800;
  std::uniform_int_distribution<uint64_t> at{10, last};
  for (int i = 0; i < runs; ++i) {
    auto o = full_run(kind);
    o.events = {{job_event::kind::kill_trainer, at(rng), 0},
                {job_event::kind::kill_coordinator, at(rng), 0}};
    if (kind == strategy::ps)
      o.events.push_back({job_event::kind::kill_shard, at(rng), 1});
    auto r = run_training(o);
    ASSERT_TRUE(r) << dmlp::describe(r.error());
    EXPECT_GE(r->restarts, o.events.size());
    EXPECT_EQ(r->samples_trained, uint64_t{epochs} * 60000);
    EXPECT_EQ(r->samples_committed, uint64_t{epochs} * 60000);
    faulty.push_back(r->test_accuracy);
    std::cout << name << ": with faults at steps";
    for (auto& e : o.events)
      std::cout << " " << e.at_step;
    std::cout << ": " << r->test_accuracy << "\n";
  }
  std::cout << name << ": clean " << clean[0] << " " << clean[1] << " " << clean[2]
            << ", with faults " << faulty[0] << " " << faulty[1] << " " << faulty[2] << "\n";
  EXPECT_NEAR(median(faulty), median(clean), 0.01);
}

} // namespace

TEST(training_chaos_accuracy, allreduce_within_one_point_of_the_fault_free_runs) {
  within_one_point(strategy::allreduce, 21);
}

TEST(training_chaos_accuracy, ps_within_one_point_of_the_fault_free_runs) {
  within_one_point(strategy::ps, 22);
}
