// Integration tests of embedded training jobs on a Fashion-MNIST subset: all-reduce replicas
// stay bit-identical after every step, the parameter-server consistency modes keep their
// promises under a deliberately slow worker, trainers in one process run their ring on TCP ring
// links (and fall back to actor messages when the links cannot connect), an elastic 2 → 3 → 1 → 2
// run keeps exact sample accounting, three jobs run concurrently in one process, and bad options
// are refused. Each job trains 1 epoch on a few thousand samples.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "actors/training/errors.hpp"
#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"

using namespace dmlp::training;

namespace {

job_options small_job(strategy kind, uint64_t samples = 2048) {
  job_options o;
  o.kind = kind;
  o.workers = 2;
  o.epochs = 1;
  o.batch_size = 64;
  o.train_samples = samples;
  o.test_samples = 1000;
  return o;
}

void expect_exact_accounting(const job_report& r, uint64_t epochs, uint64_t samples) {
  EXPECT_EQ(r.epoch_samples, samples);
  EXPECT_EQ(r.samples_trained, epochs * samples);
  // Every sample inside a committed step exactly once: nothing lost, nothing trained twice.
  EXPECT_EQ(r.samples_committed, epochs * samples);
}

} // namespace

TEST(training_job, allreduce_replicas_stay_bit_identical) {
  auto o = small_job(strategy::allreduce, 1024);
  o.verify_replicas = true;
  o.bucket_elems = 4096; // many buckets: fusion and pipelining are exercised
  auto r = run_training(o);
  ASSERT_TRUE(r) << dmlp::training::to_string(static_cast<training_errc>(r.error().code()));
  expect_exact_accounting(*r, 1, 1024);
  EXPECT_GT(r->replica_checks, 5u);
  EXPECT_EQ(r->replica_mismatches, 0u);
  // 16 batches, at most 2 per step (fewer when a trainer waited in vain for one).
  EXPECT_GE(r->steps, 8u);
  EXPECT_LE(r->steps, 16u);
  EXPECT_GT(r->test_accuracy, 0.3);
}

TEST(training_job, allreduce_on_ring_links_in_one_process_stays_bit_identical) {
  auto o = small_job(strategy::allreduce, 1024);
  o.direct_link = true;
  o.verify_replicas = true;
  o.bucket_elems = 4096;
  auto r = run_training(o);
  ASSERT_TRUE(r) << dmlp::training::to_string(static_cast<training_errc>(r.error().code()));
  expect_exact_accounting(*r, 1, 1024);
  EXPECT_GT(r->replica_checks, 5u);
  EXPECT_EQ(r->replica_mismatches, 0u);
  EXPECT_EQ(r->aborted_steps, 0u);
}

TEST(training_job, ring_links_that_cannot_connect_give_way_to_actor_messages) {
  auto o = small_job(strategy::allreduce, 1024);
  o.direct_link = true;
  // The links listen on 127.0.0.1 and send their neighbours to 127.0.0.2, where nothing
  // listens: every step on the links fails. Without the fallback the job would wait forever.
  o.link_advertise = "127.0.0.2";
  o.verify_replicas = true;
  o.timeout = std::chrono::minutes(2);
  auto r = run_training(o);
  ASSERT_TRUE(r) << dmlp::training::to_string(static_cast<training_errc>(r.error().code()));
  expect_exact_accounting(*r, 1, 1024);
  EXPECT_EQ(r->replica_mismatches, 0u);
  // job_master_options::max_link_failures steps failed on the links before they were turned off.
  EXPECT_EQ(r->aborted_steps, 3u);
}

TEST(training_job, ps_sync_trains_every_sample_once) {
  auto o = small_job(strategy::ps);
  o.mode = consistency::sync;
  o.ps_shards = 3;
  auto r = run_training(o);
  ASSERT_TRUE(r);
  expect_exact_accounting(*r, 1, 2048);
  EXPECT_LE(r->max_staleness, 1u);
  EXPECT_GT(r->test_accuracy, 0.4);
}

TEST(training_job, ps_ssp_bounds_staleness_with_a_slow_worker) {
  auto o = small_job(strategy::ps);
  o.mode = consistency::ssp;
  o.staleness = 2;
  o.slow_push = std::chrono::milliseconds(40);
  auto r = run_training(o);
  ASSERT_TRUE(r);
  expect_exact_accounting(*r, 1, 2048);
  // Every answer the fast worker got: at most s pushes ahead of the slowest.
  EXPECT_LE(r->max_staleness, o.staleness);
  EXPECT_EQ(r->max_staleness, o.staleness); // and it does run ahead that far
}

TEST(training_job, ps_async_lets_the_fast_worker_run_ahead) {
  auto o = small_job(strategy::ps);
  o.mode = consistency::async;
  o.slow_push = std::chrono::milliseconds(40);
  auto r = run_training(o);
  ASSERT_TRUE(r);
  expect_exact_accounting(*r, 1, 2048);
  EXPECT_GT(r->max_staleness, 3u);
}

TEST(training_job, elastic_two_three_one_two_keeps_exact_accounting) {
  auto o = small_job(strategy::allreduce, 3072);
  o.min_workers = 1;
  o.max_workers = 3;
  o.verify_replicas = true;
  o.events = {{job_event::kind::add_worker, 3, 0},
              {job_event::kind::remove_worker, 7, 0},
              {job_event::kind::remove_worker, 11, 0},
              {job_event::kind::add_worker, 15, 0}};
  auto r = run_training(o);
  ASSERT_TRUE(r);
  expect_exact_accounting(*r, 1, 3072);
  EXPECT_EQ(r->peak_workers, 3u);
  EXPECT_EQ(r->final_workers, 2u);
  EXPECT_EQ(r->replica_mismatches, 0u);
}

// The pipeline runs several jobs at once in one process, each from its own thread.
TEST(training_job, three_jobs_run_concurrently_in_one_process) {
  std::vector<job_options> jobs{small_job(strategy::allreduce, 1024), small_job(strategy::ps, 1024),
                                small_job(strategy::ps, 1024)};
  jobs[1].model = "dropout";
  jobs[2].model = "batch_norm";
  std::vector<caf::expected<job_report>> reports(jobs.size(), caf::error{});
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i)
    threads.emplace_back([&, i] { reports[i] = run_training(jobs[i]); });
  for (auto& t : threads)
    t.join();
  for (auto& r : reports) {
    ASSERT_TRUE(r);
    expect_exact_accounting(*r, 1, 1024);
  }
}

TEST(training_job, refuses_bad_options) {
  auto o = small_job(strategy::allreduce);
  o.min_workers = 3;
  o.max_workers = 2;
  auto r = run_training(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), training_errc::invalid_option);
  o = small_job(strategy::allreduce);
  o.model = "no-such-model";
  EXPECT_FALSE(run_training(o));
  o = small_job(strategy::allreduce);
  o.data_dir = "/nonexistent/fashion";
  EXPECT_FALSE(run_training(o));
  // TLS settings are for connecting to --seeds nodes; without seeds they are a mistake.
  o = small_job(strategy::allreduce);
  o.tls.enabled = true;
  r = run_training(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), training_errc::invalid_option);
  EXPECT_NE(dmlp::describe(r.error()).find("--seeds"), std::string::npos);
}
