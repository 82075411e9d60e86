// The accuracy target (ctest label `long`): the book's cnn trained with ring all-reduce
// on 2 workers (Adam 1e-3, batch 64 per worker) reaches at least 0.90 test accuracy on the full
// Fashion-MNIST test split within 10 epochs.
#include <iostream>

#include <gtest/gtest.h>

#include "apps/jobs/training_job.hpp"

using namespace dmlp::training;

TEST(training_accuracy, cnn_allreduce_two_workers_reaches_90_percent_in_10_epochs) {
  job_options o;
  o.model = "cnn";
  o.kind = strategy::allreduce;
  o.workers = 2;
  o.epochs = 10;
  o.batch_size = 64;
  o.threads = 1;
  auto r = run_training(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->samples_trained, 10u * 60000u);
  EXPECT_GE(r->test_accuracy, 0.90);
  std::cout << "cnn allreduce 2 workers, 10 epochs: test accuracy " << r->test_accuracy << ", "
            << r->train_images_per_s << " images/s\n";
}
