// Integration tests of stoppable training jobs (job_options::stop / state_dir): an all-reduce
// and a parameter-server job stopped after a few steps and resumed from their state directory
// train every sample exactly once over both runs and continue where they stopped (step counter,
// trained parameters); a corrupt or foreign state directory is refused and left alone; a job
// whose master is killed mid-run completes with exact accounting. Each job trains 2 short
// epochs on a Fashion-MNIST subset. The master snapshot refuses another layout version.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include <unistd.h>

#include <gtest/gtest.h>

#include "actors/training/errors.hpp"
#include "actors/training/job_master.hpp"
#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"
#include "messages/snapshot_codec.hpp"
#include "runtime/storage.hpp"

using namespace dmlp::training;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t samples = 2048;
constexpr uint32_t epochs = 2;

struct state_dir_fixture : ::testing::Test {
  std::string dir;

  void SetUp() override {
    auto name = std::string{"dmlp-stop-test-"} + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir = (fs::temp_directory_path() / name).string();
    fs::remove_all(dir);
  }

  void TearDown() override { fs::remove_all(dir); }

  job_options job(strategy kind) const {
    job_options o;
    o.kind = kind;
    o.workers = 2;
    o.ps_shards = 2;
    o.epochs = epochs;
    o.batch_size = 64;
    o.train_samples = samples;
    o.test_samples = 500;
    o.state_dir = dir;
    return o;
  }

  std::string master_file() const { return (fs::path{dir} / "train.master.snap").string(); }
};

// The loss of the first step a run committed (a resumed run first reports its restored
// counters), and a stop after `stop_at` steps.
struct stop_after {
  std::shared_ptr<stop_token> token = std::make_shared<stop_token>();
  std::mutex mtx;
  int64_t start_steps = -1;
  double first_loss = -1;

  void attach(job_options& o, uint64_t stop_at) {
    o.stop = token;
    o.on_progress = [this, stop_at](uint64_t steps, uint64_t, double loss, uint64_t, uint32_t) {
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (start_steps < 0)
          start_steps = static_cast<int64_t>(steps);
        else if (first_loss < 0 && static_cast<int64_t>(steps) > start_steps)
          first_loss = loss;
      }
      if (stop_at > 0 && steps >= stop_at)
        token->request_stop();
    };
  }
};

job_master_snapshot read_master_snapshot(const std::string& file) {
  auto bytes = dmlp::runtime::read_file(file);
  EXPECT_TRUE(bytes);
  auto record = dmlp::decode_snapshot_file(*bytes);
  EXPECT_TRUE(record);
  auto snap = decode_master_snapshot(record->payload);
  EXPECT_TRUE(snap);
  return snap ? *snap : job_master_snapshot{};
}

void stop_and_resume(state_dir_fixture& f, strategy kind) {
  auto o = f.job(kind);
  stop_after first;
  first.attach(o, 6);
  auto stopped = run_training(o);
  ASSERT_TRUE(stopped) << dmlp::describe(stopped.error());
  ASSERT_TRUE(stopped->stopped);
  EXPECT_GE(stopped->steps, 6u);
  EXPECT_LT(stopped->samples_committed, epochs * samples);
  // What the ledger acknowledged so far is what the committed steps trained.
  auto saved = read_master_snapshot(f.master_file());
  EXPECT_TRUE(saved.stopped);
  EXPECT_EQ(saved.progress.steps, stopped->steps);
  EXPECT_EQ(saved.progress.samples, stopped->samples_committed);
  EXPECT_EQ(saved.has_replica, kind == strategy::allreduce);

  auto again = f.job(kind);
  stop_after second;
  second.attach(again, 0);
  auto resumed = run_training(again);
  ASSERT_TRUE(resumed) << dmlp::describe(resumed.error());
  EXPECT_FALSE(resumed->stopped);
  EXPECT_GT(resumed->steps, stopped->steps);
  EXPECT_EQ(resumed->epoch_samples, samples);
  EXPECT_EQ(resumed->samples_trained, epochs * samples);
  // Nothing lost, nothing trained twice over the two runs.
  EXPECT_EQ(resumed->samples_committed, epochs * samples);
  // The resumed run starts from the trained parameters, not from fresh ones.
  ASSERT_GT(second.first_loss, 0);
  EXPECT_LT(second.first_loss, first.first_loss);
  EXPECT_GT(resumed->test_accuracy, 0.5);
  EXPECT_FALSE(fs::exists(f.master_file()));
}

} // namespace

TEST_F(state_dir_fixture, allreduce_job_stops_and_resumes_with_exact_accounting) {
  stop_and_resume(*this, strategy::allreduce);
}

TEST_F(state_dir_fixture, ps_job_stops_and_resumes_with_exact_accounting) {
  stop_and_resume(*this, strategy::ps);
}

TEST_F(state_dir_fixture, corrupt_or_foreign_state_is_refused_and_left_alone) {
  auto o = job(strategy::allreduce);
  stop_after first;
  first.attach(o, 3);
  auto stopped = run_training(o);
  ASSERT_TRUE(stopped);
  ASSERT_TRUE(stopped->stopped);

  auto foreign = job(strategy::allreduce);
  foreign.train_samples = samples / 2;
  auto refused = run_training(foreign);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), training_errc::bad_checkpoint);
  EXPECT_NE(dmlp::describe(refused.error()).find("another job"), std::string::npos)
      << dmlp::describe(refused.error());
  EXPECT_TRUE(fs::exists(master_file()));

  auto bytes = dmlp::runtime::read_file(master_file());
  ASSERT_TRUE(bytes);
  auto damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x5a;
  {
    std::ofstream out{master_file(), std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(damaged.data()),
              static_cast<std::streamsize>(damaged.size()));
  }
  auto corrupt = run_training(job(strategy::allreduce));
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error(), training_errc::bad_checkpoint);
  auto after = dmlp::runtime::read_file(master_file());
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, damaged);
}

TEST_F(state_dir_fixture, killed_master_restarts_from_its_snapshot) {
  auto o = job(strategy::allreduce);
  o.state_dir.clear();
  o.events = {{job_event::kind::kill_master, 5, 0}};
  auto r = run_training(o);
  ASSERT_TRUE(r) << dmlp::describe(r.error());
  EXPECT_GE(r->restarts, 1u);
  EXPECT_EQ(r->samples_trained, epochs * samples);
  EXPECT_EQ(r->samples_committed, epochs * samples);
  EXPECT_GT(r->test_accuracy, 0.5);
}

// The master snapshot's layout version is read before the rest, so a state of another layout
// is refused by name rather than decoded into nonsense.
TEST(master_snapshot, round_trips_and_refuses_another_layout_version) {
  job_master_snapshot snap;
  snap.fingerprint = "model=cnn";
  snap.progress.partial_pushes = 7;
  snap.step = 42;
  snap.trained = {0, 3, 0, 5};
  auto bytes = encode_master_snapshot(snap);
  ASSERT_TRUE(bytes);
  auto back = decode_master_snapshot(*bytes);
  ASSERT_TRUE(back) << dmlp::describe(back.error());
  EXPECT_EQ(back->progress.partial_pushes, 7u);
  EXPECT_EQ(back->step, 42u);
  EXPECT_EQ(back->trained, (std::vector<uint64_t>{0, 3, 0, 5}));

  snap.format_version = 1;
  auto old = encode_master_snapshot(snap);
  ASSERT_TRUE(old);
  auto refused = decode_master_snapshot(*old);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), training_errc::bad_checkpoint);
  EXPECT_NE(dmlp::describe(refused.error()).find("layout version 1"), std::string::npos)
      << dmlp::describe(refused.error());
}
