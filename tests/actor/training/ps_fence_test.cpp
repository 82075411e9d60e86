// The parameter-server job's exactly-once window, with the real ingest coordinator, job master
// and shards on the deterministic scheduler: a trainer is lost after every shard applied its
// push but before it reported the step or acknowledged the batch. The coordinator fences it
// through the master, so that batch is acknowledged on its behalf and counted once instead of
// being handed to the survivor and applied a second time. The trainers here are stand-ins that
// speak the protocol (messages/ingest.hpp, messages/training.hpp) without a model. A push that
// reached only some shards is counted as partial, and a restarted master answers a fence from
// its snapshot.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/ingest/coordinator.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/job_master.hpp"
#include "actors/training/ps_shard.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/ingest.hpp"
#include "messages/snapshot_codec.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"
#include "runtime/name_registry.hpp"
#include "runtime/services.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace dmlp;
using namespace dmlp::training;
using namespace std::chrono_literals;

namespace {

const std::string coordinator_path = "train/coordinator";
const std::string master_path = "train/master";
constexpr size_t shard_values = 3;
constexpr uint64_t samples = 96;
constexpr uint32_t batch_size = 16;

std::string shard_path(size_t i) {
  return "train/ps/shard-" + std::to_string(i);
}

// What a stand-in trainer received and finished.
struct trainer_record {
  std::vector<std::pair<uint64_t, uint64_t>> received;
  size_t finished = 0;
};

// A trainer stand-in: joins the master and the coordinator with a window of one, pushes every
// batch to every shard and, once all answered, reports the step and acknowledges the batch —
// or, when `lost_after_push`, dies right there, in the window the fence closes.
caf::behavior trainer(caf::event_based_actor* self, std::string id, bool lost_after_push,
                      size_t shards, runtime::runtime_services svc,
                      std::shared_ptr<trainer_record> rec) {
  auto coordinator = svc.names->get(coordinator_path);
  auto master = svc.names->get(master_path);
  self->send(master, train_hello_atom::value, train_hello{id, caf::actor_cast<caf::actor>(self)});
  self->request(coordinator, 10s, ingest_register{id, 1})
      .then(
          [self, coordinator, id](ingest_job&) {
            self->request(coordinator, 10s, ingest_credit{id, 1}).then([] {}, [](caf::error&) {});
          },
          [](caf::error&) {});
  auto clock = std::make_shared<uint64_t>(0);
  return {
      [=](ingest_batch& b) {
        rec->received.emplace_back(b.epoch, b.batch);
        std::vector<float> gradient(shard_values, static_cast<float>(b.size));
        auto data = encode_values(gradient.data(), gradient.size());
        ASSERT_TRUE(data);
        auto left = std::make_shared<size_t>(shards);
        for (size_t i = 0; i < shards; ++i)
          self->request(svc.names->get(shard_path(i)), 10s,
                        ps_push{id, *clock, b.size, 0.01, *data, b.epoch, b.batch})
              .then(
                  [=](ps_params&) {
                    if (--*left > 0)
                      return;
                    if (lost_after_push) {
                      self->quit(caf::exit_reason::kill);
                      return;
                    }
                    train_reduced report;
                    report.trainer = id;
                    report.step = (*clock)++;
                    report.samples = b.size;
                    report.has_batch = true;
                    report.batch_epoch = b.epoch;
                    report.batch = b.batch;
                    self->send(master, report);
                    self->request(coordinator, 10s, ingest_ack{id, b.epoch, b.batch, 1})
                        .then([rec] { ++rec->finished; }, [](caf::error&) {});
                  },
                  [](caf::error&) {});
      },
      [](train_workers_atom, uint32_t) {},
      [](ingest_epoch_end&) {},
  };
}

// Stands in for a shard: records every member list it receives.
caf::behavior member_list_probe(caf::event_based_actor*,
                                std::shared_ptr<std::vector<std::vector<std::string>>> got) {
  return {[got](ps_members& m) { got->push_back(m.trainers); }};
}

// Stands in for a shard being asked about a lost trainer: records the incarnations it is told to
// fence and reports `applied` as trained.
caf::behavior fence_probe(caf::event_based_actor*, std::vector<batch_ref> applied,
                          std::shared_ptr<std::vector<caf::actor>> fenced) {
  return {
      [](ps_members&) {},
      [applied, fenced](ingest_fence& f) {
        fenced->push_back(f.handle);
        return ingest_fenced{applied};
      },
  };
}

// Stands in for a trainer that only joins the master.
caf::behavior idle_trainer(caf::event_based_actor*) {
  return {[](train_workers_atom, uint32_t) {}};
}

caf::behavior progress_listener(caf::event_based_actor*, std::shared_ptr<train_progress> last) {
  return {[last](train_progress& p) { *last = p; }};
}

class ps_fence_test : public ::testing::Test {
protected:
  // Shards (async), the coordinator (fenced by the master) and the master of one job.
  void start_job(size_t shards) {
    svc = runtime::make_services(ds.sys());
    for (size_t i = 0; i < shards; ++i) {
      ps_shard_options so;
      so.index = static_cast<uint32_t>(i);
      so.initial.assign(shard_values, 0.0f);
      so.params = shard_values;
      so.mode = consistency::async;
      so.checkpoint_every = 0;
      put(shard_path(i), ps_shard_start(so));
    }
    auto content = std::make_shared<ingest::dataset_content>();
    for (auto [set, n] : {std::pair{&content->train, samples}, {&content->test, uint64_t{10}}}) {
      set->count = n;
      set->height = 1;
      set->width = 1;
      set->pixels.assign(n, 0.5f);
      set->labels.assign(n, 1);
    }
    ingest::coordinator_options co;
    co.ledger.batch_size = batch_size;
    co.ledger.max_epochs = 1;
    co.commit_interval = 0ms;
    co.fence_path = master_path;
    put(coordinator_path,
        ingest::coordinator_start(ingest::coordinator_data{content, "tiny", "key", {}}, co));
    job_master_options mo;
    mo.kind = strategy::ps;
    mo.batch_size = batch_size;
    for (size_t i = 0; i < shards; ++i) {
      mo.shard_paths.push_back(shard_path(i));
      mo.shard_sizes.push_back(shard_values);
    }
    mo.coordinator_path = coordinator_path;
    mo.listener = ds.sys().spawn(progress_listener, progress);
    ds.track(mo.listener);
    put(master_path, job_master_start(mo));
    shard_count = shards;
  }

  caf::actor add_trainer(const std::string& id, bool lost_after_push,
                         std::shared_ptr<trainer_record> rec) {
    auto handle = ds.sys().spawn(trainer, id, lost_after_push, shard_count, svc, rec);
    ds.track(handle);
    ds.run();
    return handle;
  }

  ingest_status coordinator_status() {
    ingest_status out;
    ds.sys().spawn([&](caf::event_based_actor* self) {
      self->request(svc.names->get(coordinator_path), 10s, ingest_status_atom::value)
          .then([&](ingest_status& s) { out = s; });
    });
    ds.run();
    return out;
  }

  // Asks `master` to fence trainer "lost" (incarnation `lost`) about `outstanding`; the answer
  // if it came without the clock moving.
  std::optional<ingest_fenced> fence_now(const caf::actor& master, const caf::actor& lost,
                                         std::vector<batch_ref> outstanding) {
    std::optional<ingest_fenced> answer;
    ds.sys().spawn([&](caf::event_based_actor* self) {
      self->request(master, 10s, ingest_fence{"lost", lost, std::move(outstanding)})
          .then([&](ingest_fenced& r) { answer = r; });
    });
    ds.run();
    return answer;
  }

  // Updates shard `i` applied.
  uint64_t shard_version(size_t i) {
    uint64_t out = 0;
    ds.sys().spawn([&](caf::event_based_actor* self) {
      self->request(svc.names->get(shard_path(i)), 10s, ps_pull_atom::value, std::string{})
          .then([&](ps_params& p) { out = p.version; });
    });
    ds.run();
    return out;
  }

  dmlp::testing::deterministic_system ds;
  runtime::runtime_services svc;
  size_t shard_count = 0;
  std::shared_ptr<train_progress> progress = std::make_shared<train_progress>();

private:
  void put(const std::string& path, const runtime::start_function& start) {
    runtime::start_context ctx{ds.sys(),       caf::actor{}, path,         path, 0,
                               caf::message{}, nullptr,      std::nullopt, svc};
    auto handle = start(ctx);
    ASSERT_TRUE(handle);
    ds.track(*handle);
    svc.names->put(path, *handle);
    ds.run();
  }
};

} // namespace

TEST_F(ps_fence_test, a_batch_applied_before_its_trainer_was_lost_is_trained_once) {
  start_job(2);
  auto lost = std::make_shared<trainer_record>();
  add_trainer("lost", true, lost);
  ASSERT_EQ(lost->received.size(), 1u);
  EXPECT_EQ(lost->finished, 0u);
  EXPECT_EQ(shard_version(0), 1u);
  auto survivor = std::make_shared<trainer_record>();
  add_trainer("survivor", false, survivor);
  auto batches = samples / batch_size;
  auto status = coordinator_status();
  EXPECT_TRUE(status.finished);
  EXPECT_EQ(status.total_acked, batches);
  // The lost trainer's batch went to nobody else: every shard applied each batch once.
  ASSERT_EQ(survivor->received.size(), batches - 1);
  for (auto& b : survivor->received)
    EXPECT_NE(b, lost->received.front());
  for (size_t i = 0; i < shard_count; ++i)
    EXPECT_EQ(shard_version(i), batches) << "shard " << i;
  // The master counted the lost trainer's batch, found by the fence, once.
  EXPECT_EQ(progress->samples, samples);
  EXPECT_EQ(progress->steps, batches);
}

// A shard restarts with the member list of its checkpoint and log; the master sends the list
// again once the restarted shard is registered, with any change the shard missed while down.
TEST_F(ps_fence_test, a_restarted_shard_gets_the_member_list_it_missed) {
  start_job(1);
  auto before = std::make_shared<std::vector<std::vector<std::string>>>();
  auto first = ds.sys().spawn(member_list_probe, before);
  ds.track(first);
  svc.names->put(shard_path(0), first);
  auto master = svc.names->get(master_path);
  auto a = ds.sys().spawn(idle_trainer);
  auto b = ds.sys().spawn(idle_trainer);
  ds.track(a);
  caf::anon_send(master, train_hello_atom::value, train_hello{"a", a});
  caf::anon_send(master, train_hello_atom::value, train_hello{"b", b});
  ds.run();
  ASSERT_FALSE(before->empty());
  EXPECT_EQ(before->back(), (std::vector<std::string>{"a", "b"}));
  // The shard dies and its supervisor unregisters it; b leaves while no shard is registered.
  caf::anon_send_exit(first, caf::exit_reason::kill);
  ds.run();
  svc.names->erase(shard_path(0), first);
  caf::anon_send_exit(b, caf::exit_reason::kill);
  ds.run();
  auto after = std::make_shared<std::vector<std::vector<std::string>>>();
  auto second = ds.sys().spawn(member_list_probe, after);
  ds.track(second);
  svc.names->put(shard_path(0), second);
  ds.run();
  EXPECT_TRUE(after->empty());
  ds.advance(100ms);
  ASSERT_FALSE(after->empty());
  EXPECT_EQ(after->back(), (std::vector<std::string>{"a"}));
}

// A fence while a shard is being restarted waits for the new instance, which answers from its
// checkpoint and log (asking the dead one would count the lost trainer's batch as untrained and
// hand it out again); the incarnation is fenced at every later shard instance too.
TEST_F(ps_fence_test, a_fence_waits_for_a_restarting_shard_and_reaches_later_instances) {
  start_job(1);
  auto master = svc.names->get(master_path);
  auto first = svc.names->get(shard_path(0));
  caf::anon_send_exit(first, caf::exit_reason::kill);
  ds.run();
  svc.names->erase(shard_path(0), first);
  auto lost = ds.sys().spawn(idle_trainer);
  ds.track(lost);
  std::optional<ingest_fenced> answer;
  ds.sys().spawn([&](caf::event_based_actor* self) {
    self->request(master, 10s, ingest_fence{"lost", lost, {batch_ref{0, 3, batch_size}}})
        .then([&](ingest_fenced& r) { answer = r; });
  });
  ds.run();
  ds.advance(60ms);
  EXPECT_FALSE(answer) << "answered without the shard";
  auto fenced = std::make_shared<std::vector<caf::actor>>();
  auto second = ds.sys().spawn(fence_probe, std::vector<batch_ref>{{0, 3, batch_size}}, fenced);
  ds.track(second);
  svc.names->put(shard_path(0), second);
  ds.run();
  ds.advance(60ms);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->trained.size(), 1u);
  EXPECT_EQ(answer->trained.front().batch, 3u);
  EXPECT_EQ(progress->samples, batch_size);
  ASSERT_FALSE(fenced->empty());
  EXPECT_EQ(fenced->back(), lost);
  // The next instance of the shard is told to refuse the lost incarnation as well.
  caf::anon_send_exit(second, caf::exit_reason::kill);
  ds.run();
  svc.names->erase(shard_path(0), second);
  auto told = std::make_shared<std::vector<caf::actor>>();
  auto third = ds.sys().spawn(fence_probe, std::vector<batch_ref>{}, told);
  ds.track(third);
  svc.names->put(shard_path(0), third);
  ds.run();
  ds.advance(60ms);
  ASSERT_EQ(told->size(), 1u);
  EXPECT_EQ(told->front(), lost);
}

// A killed node's push can reach some shards and not others. The fence counts such a batch as
// trained (the shards that applied it cannot take it back) and reports it as a partial push;
// a batch every shard applied is not one, and neither is one that reached no shard.
TEST_F(ps_fence_test, a_push_that_reached_some_shards_only_is_counted_as_partial) {
  start_job(2);
  auto master = svc.names->get(master_path);
  std::vector<batch_ref> applied_by_shard_0{{0, 3, batch_size}, {0, 4, batch_size}};
  std::vector<batch_ref> applied_by_shard_1{{0, 4, batch_size}};
  std::vector<std::shared_ptr<std::vector<caf::actor>>> fenced;
  for (size_t i = 0; i < shard_count; ++i) {
    auto old = svc.names->get(shard_path(i));
    fenced.push_back(std::make_shared<std::vector<caf::actor>>());
    auto probe = ds.sys().spawn(fence_probe, i == 0 ? applied_by_shard_0 : applied_by_shard_1,
                                fenced.back());
    ds.track(probe);
    svc.names->put(shard_path(i), probe);
    caf::anon_send_exit(old, caf::exit_reason::kill);
  }
  ds.run();
  auto lost = ds.sys().spawn(idle_trainer);
  ds.track(lost);
  auto answer =
      fence_now(master, lost, {{0, 3, batch_size}, {0, 4, batch_size}, {0, 5, batch_size}});
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->trained.size(), 2u);
  EXPECT_EQ(answer->trained[0].batch, 3u);
  EXPECT_EQ(answer->trained[1].batch, 4u);
  EXPECT_EQ(progress->partial_pushes, 1u);
  EXPECT_EQ(progress->samples, 2 * batch_size);
  for (auto& f : fenced)
    EXPECT_EQ(f->size(), 1u);
}

// A restarted job master answers fences from the trained batches of its snapshot (here an
// all-reduce one, which has no shards to ask): without them it would call a committed batch
// untrained and the coordinator would hand it out again.
TEST_F(ps_fence_test, a_restarted_master_answers_a_fence_from_its_snapshot) {
  svc = runtime::make_services(ds.sys());
  job_master_snapshot snap;
  snap.trained = {0, 3, 1, 2};
  auto bytes = encode_master_snapshot(snap);
  ASSERT_TRUE(bytes);
  job_master_options mo;
  mo.kind = strategy::allreduce;
  mo.batch_size = batch_size;
  runtime::start_context ctx{
      ds.sys(), caf::actor{},   master_path, master_path,
      1,        caf::message{}, nullptr,     snapshot_record{master_path, 1, *bytes},
      svc};
  auto master = job_master_start(mo)(ctx);
  ASSERT_TRUE(master) << describe(master.error());
  ds.track(*master);
  auto answer =
      fence_now(*master, {}, {{0, 3, batch_size}, {0, 4, batch_size}, {1, 2, batch_size}});
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->trained.size(), 2u);
  EXPECT_EQ(answer->trained[0].batch, 3u);
  EXPECT_EQ(answer->trained[1].epoch, 1u);
}
