// The metadata actor on CAF's deterministic scheduler: writes wait for their batch (batch_max
// or batch_interval on the fake clock) and are answered only once it is committed; queries
// commit what is queued first; samples are thinned to the sampling interval; an invalid record
// fails alone inside a batch.
#include <filesystem>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace std::chrono_literals;

namespace {

/// Answers the test saw.
struct inbox {
  int acks = 0;
  int errors = 0;
  std::vector<int64_t> ids;
  uint32_t samples_kept = 0;
  size_t runs = 0;
};

class metadata_actor_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dmlp-mda-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    runtime::configure_actor_system(cfg_, runtime::scheduler_kind::deterministic);
    metadata::register_metadata_errors(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
    options_.path = (dir_ / "metadata.db").string();
    options_.batch_max = 3;
    options_.batch_interval = 5ms;
    options_.sample_interval = 1000ms;
    metadata::actor_options how;
    how.dedicated_thread = false;
    how.clock = [] { return int64_t{42}; };
    auto md = metadata::spawn_metadata_actor(*sys_, options_, how);
    ASSERT_TRUE(md) << describe(md.error());
    md_ = *md;
    sched_->run();
  }

  void TearDown() override {
    for (auto& a : actors_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(md_, caf::exit_reason::kill);
    sched_->run();
    while (sched_->trigger_timeouts())
      sched_->run();
    sys_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// Sends `msg` from a client actor that counts the answer in `box`.
  template <class... Ts> void ask(std::shared_ptr<inbox> box, Ts... xs) {
    auto md = md_;
    actors_.push_back(sys_->spawn([=](caf::event_based_actor* self) {
      self->request(md, std::chrono::seconds{10}, xs...)
          .then(
              [=](const md_record_ack& ack) {
                box->acks++;
                box->ids.push_back(ack.execution_id);
              },
              [=](caf::error&) { box->errors++; });
    }));
  }

  md_execution_record record(const std::string& name, const std::string& state = "complete") {
    md_execution_record rec;
    rec.execution.type = "t@1";
    rec.execution.name = name;
    rec.execution.state = state;
    return rec;
  }

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::filesystem::path dir_;
  metadata::metadata_options options_;
  caf::actor md_;
  std::vector<caf::actor> actors_;
};

} // namespace

TEST_F(metadata_actor_test, writes_are_answered_after_their_batch_commits) {
  auto box = std::make_shared<inbox>();
  ask(box, md_record_atom::value, record("a"));
  ask(box, md_record_atom::value, record("b"));
  sched_->run();
  EXPECT_EQ(box->acks, 0) << "two writes wait for the batch interval";
  sched_->advance_time(5ms);
  sched_->run();
  EXPECT_EQ(box->acks, 2);
  // batch_max = 3: the third write of a batch commits at once, without the timer.
  ask(box, md_record_atom::value, record("c"));
  ask(box, md_record_atom::value, record("d"));
  ask(box, md_record_atom::value, record("e"));
  sched_->run();
  EXPECT_EQ(box->acks, 5);
  EXPECT_EQ(box->ids, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(metadata_actor_test, a_bad_record_fails_alone_in_its_batch) {
  auto box = std::make_shared<inbox>();
  ask(box, md_record_atom::value, record("ok-1"));
  ask(box, md_record_atom::value, record("bad", "exploded"));
  ask(box, md_record_atom::value, record("ok-2"));
  sched_->run();
  EXPECT_EQ(box->acks, 2);
  EXPECT_EQ(box->errors, 1);
}

TEST_F(metadata_actor_test, queries_see_queued_writes_and_samples_are_thinned) {
  auto box = std::make_shared<inbox>();
  md_context ctx;
  ctx.type = "pipeline_run";
  ctx.name = "batch";
  ctx.state = "running";
  auto md = md_;
  actors_.push_back(sys_->spawn([=](caf::event_based_actor* self) {
    self->request(md, 10s, md_put_ctx_atom::value, ctx).then([=](int64_t) {
      md_execution_record rec;
      rec.execution.type = "t@1";
      rec.execution.name = "train";
      rec.execution.state = "running";
      self->request(md, 10s, md_record_atom::value, rec).then([=](const md_record_ack& ack) {
        std::vector<md_sample> samples;
        for (int t = 0; t < 5000; t += 100)
          samples.push_back(md_sample{ack.execution_id, t, "step_latency", "worker-1", 3.5});
        self->request(md, 10s, md_samples_atom::value, samples).then([=](uint32_t kept) {
          box->samples_kept = kept;
        });
      });
      self->request(md, 10s, md_list_runs_atom::value)
          .then([=](const std::vector<md_run_summary>& runs) { box->runs = runs.size(); });
    });
  }));
  sched_->run();
  sched_->advance_time(5ms);
  sched_->run();
  EXPECT_EQ(box->runs, 1u) << "the query committed the queued record first";
  sched_->advance_time(5ms);
  sched_->run();
  EXPECT_EQ(box->samples_kept, 5u) << "one sample per second of 5 s";
}
