// The ingest coordinator on the deterministic scheduler: trainers that follow the ingest
// protocol (messages/ingest.hpp) see each sample exactly once per epoch; a slow consumer never
// has more than its window outstanding; a dead trainer's batches go to the survivors; and a
// coordinator killed mid-epoch is restarted by its supervisor from the saved ledger and loses
// nothing (trainers re-attach, silent ones are dropped after the re-attach deadline); with a
// fence actor, a lost trainer's batches that the job trained are acknowledged, not handed out
// again.
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/ingest/coordinator.hpp"
#include "messages/errors.hpp"
#include "messages/ingest.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/name_registry.hpp"
#include "runtime/services.hpp"
#include "runtime/snapshot_store.hpp"
#include "runtime/supervisor.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace dmlp;
using namespace dmlp::ingest;
using namespace std::chrono_literals;

namespace {

// Test-only commands to the test trainer.
using ack_some_atom = caf::atom_constant<caf::atom("tackn")>;
using poke_atom = caf::atom_constant<caf::atom("tpoke")>;
using release_atom = caf::atom_constant<caf::atom("trelease")>;

// What one test trainer saw and did.
struct trainer_record {
  std::optional<ingest_job> job;
  std::vector<ingest_batch> held;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  // epoch -> sample index -> accepted acknowledgements.
  std::map<uint64_t, std::map<uint64_t, int>> trained;
  std::vector<ingest_epoch_end> ends;
  std::vector<caf::error> errors;
  size_t received = 0;
  size_t duplicates = 0;
  size_t max_held = 0;
};

using record_ptr = std::shared_ptr<trainer_record>;
using locator = std::function<caf::actor()>;

std::vector<uint64_t> indices_of(const ingest_batch& batch) {
  auto bundle = decode(batch.data);
  EXPECT_TRUE(bundle);
  std::vector<uint64_t> out;
  for (auto& t : bundle->tensors)
    if (t.name == "indices")
      for (int64_t i = 0; i < t.numel(); ++i) {
        int64_t value;
        std::memcpy(&value, t.data.data() + i * 8, 8);
        out.push_back(static_cast<uint64_t>(value));
      }
  return out;
}

// A trainer that follows the protocol: registers, grants `credits`, keeps received batches
// until told to acknowledge them (or at once with auto_ack), drops duplicates, retries an
// acknowledgement that timed out, and re-attaches when poked.
caf::behavior trainer(caf::event_based_actor* self, std::string id, uint32_t window,
                      uint32_t credits, bool auto_ack, locator find, record_ptr rec) {
  self->request(find(), 1s, ingest_register{id, window})
      .then(
          [=](ingest_job& job) {
            rec->job = job;
            self->request(find(), 1s, ingest_credit{id, credits})
                .then([] {}, [rec](caf::error& err) { rec->errors.push_back(err); });
          },
          [rec](caf::error& err) { rec->errors.push_back(err); });
  auto ack_next = [=] {
    if (rec->held.empty() || !find())
      return;
    auto batch = rec->held.front();
    rec->held.erase(rec->held.begin());
    self->request(find(), 1s, ingest_ack{id, batch.epoch, batch.batch, 1})
        .then(
            [rec, batch] {
              for (auto i : indices_of(batch))
                ++rec->trained[batch.epoch][i];
            },
            [rec, batch](caf::error& err) {
              rec->errors.push_back(err);
              if (err == caf::sec::request_timeout)
                rec->held.push_back(batch);
            });
  };
  return {
      [=](ingest_batch& batch) {
        if (!rec->seen.insert({batch.epoch, batch.batch}).second) {
          ++rec->duplicates;
          return;
        }
        ++rec->received;
        rec->held.push_back(std::move(batch));
        rec->max_held = std::max(rec->max_held, rec->held.size());
        if (auto_ack)
          ack_next();
      },
      [=](ingest_epoch_end& end) { rec->ends.push_back(end); },
      [=](ack_some_atom, int n) {
        for (int i = 0; i < n; ++i)
          ack_next();
      },
      [=](poke_atom) {
        self->request(find(), 1s, ingest_credit{id, 0})
            .then([] {}, [rec](caf::error& err) { rec->errors.push_back(err); });
      },
  };
}

// What the test fence actor was asked and answered.
struct fence_record {
  // Answer that the first `trained` outstanding batches are in the model.
  size_t trained = 0;
  // Keep the answer until release_atom.
  bool hold = false;
  std::vector<ingest_fence> asked;
  ingest_fenced answer;
  caf::typed_response_promise<ingest_fenced> held;
};

// A job master stand-in for the coordinator's fence questions.
caf::behavior fence_actor(caf::event_based_actor* self, std::shared_ptr<fence_record> rec) {
  return {
      [=](ingest_fence& f) -> caf::result<ingest_fenced> {
        rec->asked.push_back(f);
        rec->answer.trained.assign(f.outstanding.begin(),
                                   f.outstanding.begin() +
                                       std::min(rec->trained, f.outstanding.size()));
        if (!rec->hold)
          return rec->answer;
        rec->held = self->make_response_promise<ingest_fenced>();
        return rec->held;
      },
      [=](release_atom) { rec->held.deliver(rec->answer); },
  };
}

std::shared_ptr<const dataset_content> tiny_content(uint64_t train, uint64_t test) {
  auto content = std::make_shared<dataset_content>();
  for (auto [set, n] : {std::pair{&content->train, train}, {&content->test, test}}) {
    set->count = n;
    set->height = 2;
    set->width = 2;
    set->pixels.resize(n * 4);
    for (size_t i = 0; i < set->pixels.size(); ++i)
      set->pixels[i] = static_cast<float>(i / 4) / 1000.0f;
    for (uint64_t i = 0; i < n; ++i)
      set->labels.push_back(static_cast<uint8_t>(i % 10));
  }
  return content;
}

coordinator_data make_data(uint64_t train = 200) {
  return coordinator_data{tiny_content(train, 30), "tiny", "key", preprocessing{}};
}

coordinator_options make_options(uint32_t batch, uint32_t epochs) {
  coordinator_options options;
  options.ledger.batch_size = batch;
  options.ledger.max_epochs = epochs;
  options.ledger.seed = 11;
  options.reattach_timeout = 5s;
  options.commit_interval = 0ms; // save after every message; group commit has its own test
  return options;
}

// A memory store that counts saves.
class counting_store : public runtime::memory_snapshot_store {
public:
  caf::expected<uint64_t> save(const std::string& key, std::vector<uint8_t> payload) override {
    ++saves;
    return memory_snapshot_store::save(key, std::move(payload));
  }
  size_t saves = 0;
};

class coordinator_test : public ::testing::Test {
protected:
  coordinator_test() { register_ingest_error_names(); }

  record_ptr add_trainer(const std::string& id, uint32_t window, uint32_t credits, bool auto_ack,
                         locator find) {
    auto rec = std::make_shared<trainer_record>();
    auto handle = env.sys().spawn(trainer, id, window, credits, auto_ack, find, rec);
    env.track(handle);
    trainers[id] = handle;
    return rec;
  }

  ingest_status status(const caf::actor& coordinator) {
    ingest_status out;
    auto probe = env.sys().spawn([&](caf::event_based_actor* self) {
      self->request(coordinator, 1s, ingest_status_atom::value).then([&](ingest_status& s) {
        out = s;
      });
    });
    env.run();
    return out;
  }

  // Asks `coordinator` for the test samples of `served` (expected to be answered) and of
  // `refused` (expected to fail); returns the batch served and the error of the refused request.
  std::pair<ingest_batch, caf::error> test_requests(const caf::actor& coordinator,
                                                    ingest_test_request served,
                                                    ingest_test_request refused) {
    std::pair<ingest_batch, caf::error> out;
    env.sys().spawn([&](caf::event_based_actor* self) {
      self->request(coordinator, 1s, served).then([&](ingest_batch& b) {
        out.first = std::move(b);
      });
      self->request(coordinator, 1s, refused)
          .then([](ingest_batch&) {}, [&](caf::error& e) { out.second = e; });
    });
    env.run();
    return out;
  }

  // Trainer "doomed" (window 4, acknowledging one batch) dies mid-epoch beside "survivor"
  // (window 2, acknowledging everything); returns their records.
  std::pair<record_ptr, record_ptr> lose_one_of_two(const caf::actor& coordinator) {
    auto find = [coordinator] { return coordinator; };
    auto doomed = add_trainer("doomed", 4, 4, false, find);
    auto survivor = add_trainer("survivor", 2, 2, true, find);
    env.run();
    EXPECT_EQ(doomed->held.size(), 4u);
    caf::anon_send(trainers["doomed"], ack_some_atom::value, 1);
    env.run();
    EXPECT_FALSE(status(coordinator).finished);
    caf::anon_send_exit(trainers["doomed"], caf::exit_reason::kill);
    env.run();
    return {doomed, survivor};
  }

  // A coordinator asking `rec`'s fence actor about lost trainers (registered in fence_names).
  caf::actor fenced_coordinator(std::shared_ptr<fence_record> rec,
                                std::chrono::milliseconds fence_timeout = 30s) {
    auto services = runtime::make_services(env.sys());
    fence_names = services.names;
    fence_handle = env.sys().spawn(fence_actor, rec);
    env.track(fence_handle);
    services.names->put("train/master", fence_handle);
    auto options = make_options(16, 1);
    options.fence_path = "train/master";
    options.fence_timeout = fence_timeout;
    auto coordinator =
        spawn_coordinator(env.sys(), make_data(), options, {}, "", std::nullopt, services.names);
    EXPECT_TRUE(coordinator);
    env.track(*coordinator);
    return *coordinator;
  }

  // Counts the batches the fence declared trained as trained by `lost`, which held them.
  static void credit_fenced(const record_ptr& lost, const fence_record& fence) {
    for (auto& b : fence.answer.trained)
      for (auto& held : lost->held)
        if (held.epoch == b.epoch && held.batch == b.batch)
          for (auto i : indices_of(held))
            ++lost->trained[held.epoch][i];
  }

  // Each index of each epoch acknowledged exactly once over all trainers.
  void expect_exactly_once(const std::vector<record_ptr>& recs, uint64_t samples, uint64_t epochs) {
    for (uint64_t e = 0; e < epochs; ++e) {
      std::vector<int> count(samples, 0);
      for (auto& rec : recs)
        for (auto& [index, n] : rec->trained[e])
          count[index] += n;
      for (uint64_t i = 0; i < samples; ++i)
        ASSERT_EQ(count[i], 1) << "epoch " << e << " index " << i;
    }
  }

  dmlp::testing::deterministic_system env;
  std::map<std::string, caf::actor> trainers;
  // The fence actor of fenced_coordinator() and where it is registered.
  caf::actor fence_handle;
  std::shared_ptr<runtime::name_registry> fence_names;
};

} // namespace

TEST_F(coordinator_test, two_trainers_see_each_sample_once_per_epoch) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(), make_options(16, 2));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto find = [c = *coordinator] { return c; };
  auto a = add_trainer("a", 4, 4, true, find);
  auto b = add_trainer("b", 2, 2, true, find);
  env.run();
  ASSERT_TRUE(a->job);
  EXPECT_EQ(a->job->train_samples, 200u);
  EXPECT_EQ(a->job->batches_per_epoch, 13u);
  EXPECT_EQ(a->job->dataset, "tiny");
  EXPECT_EQ(a->job->transform.to_json(), preprocessing{}.to_json());
  expect_exactly_once({a, b}, 200, 2);
  EXPECT_GT(a->received, 0u);
  EXPECT_GT(b->received, 0u);
  ASSERT_EQ(a->ends.size(), 2u);
  EXPECT_FALSE(a->ends[0].last);
  EXPECT_TRUE(a->ends[1].last);
  EXPECT_EQ(b->ends.size(), 2u);
  auto s = status(*coordinator);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.total_acked, 26u);
  EXPECT_EQ(s.outstanding, 0u);
  EXPECT_TRUE(a->errors.empty());
}

TEST_F(coordinator_test, batches_carry_images_labels_and_the_transform) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(), make_options(16, 1));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto a = add_trainer("a", 1, 1, false, [c = *coordinator] { return c; });
  env.run();
  ASSERT_EQ(a->held.size(), 1u);
  auto bundle = decode(a->held[0].data);
  ASSERT_TRUE(bundle);
  ASSERT_EQ(bundle->tensors.size(), 3u);
  EXPECT_EQ(bundle->tensors[0].name, "images");
  EXPECT_EQ(bundle->tensors[0].shape, (std::vector<int64_t>{16, 1, 2, 2}));
  EXPECT_EQ(bundle->tensors[1].name, "labels");
  EXPECT_EQ(bundle->tensors[1].type, dtype::int64);
  EXPECT_EQ(a->held[0].size, 16u);
  EXPECT_EQ(a->held[0].transform.canonical(), preprocessing{}.canonical());
}

TEST_F(coordinator_test, slow_consumer_never_has_more_than_its_window_outstanding) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(2000), make_options(10, 0));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto slow = add_trainer("slow", 3, 1000, false, [c = *coordinator] { return c; });
  env.run();
  EXPECT_EQ(slow->held.size(), 3u);
  EXPECT_EQ(status(*coordinator).outstanding, 3u);
  for (int round = 0; round < 20; ++round) {
    caf::anon_send(trainers["slow"], ack_some_atom::value, 1);
    env.run();
    ASSERT_EQ(slow->held.size(), 3u);
    ASSERT_EQ(status(*coordinator).outstanding, 3u);
  }
  EXPECT_EQ(slow->received, 23u);
  EXPECT_EQ(slow->max_held, 3u);
}

TEST_F(coordinator_test, a_dead_trainers_batches_go_to_the_survivor) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(), make_options(16, 1));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto [doomed, survivor] = lose_one_of_two(*coordinator);
  auto s = status(*coordinator);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.total_acked, 13u);
  expect_exactly_once({doomed, survivor}, 200, 1);
}

TEST_F(coordinator_test, a_trainer_that_joins_mid_epoch_gets_a_share) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(), make_options(16, 1));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto find = [c = *coordinator] { return c; };
  auto first = add_trainer("first", 2, 2, false, find);
  env.run();
  caf::anon_send(trainers["first"], ack_some_atom::value, 3);
  env.run();
  auto late = add_trainer("late", 2, 2, true, find);
  env.run();
  EXPECT_GT(late->received, 0u);
  for (int i = 0; i < 20 && !status(*coordinator).finished; ++i) {
    caf::anon_send(trainers["first"], ack_some_atom::value, 2);
    env.run();
  }
  EXPECT_TRUE(status(*coordinator).finished);
  expect_exactly_once({first, late}, 200, 1);
}

TEST_F(coordinator_test, supervised_restart_mid_epoch_loses_nothing) {
  auto store = std::make_shared<runtime::memory_snapshot_store>();
  auto services = runtime::make_services(env.sys());
  runtime::supervisor_spec spec{"ingest", runtime::strategy::one_for_one};
  spec.add(runtime::worker("coordinator", coordinator_start(make_data(400), make_options(16, 2)))
               .with_snapshots(store));
  auto sup = runtime::spawn_supervisor(env.sys(), spec, services);
  env.track(sup);
  env.run();
  auto names = services.names;
  auto find = [names] { return names->get("ingest/coordinator"); };
  auto before = find();
  ASSERT_TRUE(before);
  env.track(before);
  auto a = add_trainer("a", 3, 3, false, find);
  auto b = add_trainer("b", 3, 3, false, find);
  auto silent = add_trainer("silent", 2, 2, false, find);
  env.run();
  for (int i = 0; i < 3; ++i) {
    caf::anon_send(trainers["a"], ack_some_atom::value, 2);
    caf::anon_send(trainers["b"], ack_some_atom::value, 1);
    env.run();
  }
  auto mid = status(before);
  EXPECT_EQ(mid.total_acked, 9u);
  EXPECT_EQ(mid.outstanding, 8u);
  caf::anon_send_exit(before, caf::exit_reason::kill);
  env.run();
  env.advance(200ms); // the supervisor's back-off
  auto after = find();
  ASSERT_TRUE(after);
  ASSERT_NE(after, before);
  env.track(after);
  auto restored = status(after);
  EXPECT_EQ(restored.total_acked, 9u);
  EXPECT_EQ(restored.outstanding, 8u);
  EXPECT_EQ(restored.trainers, 3u);
  // a and b re-attach and receive their outstanding batches again (and drop the duplicates);
  // "silent" never does and is dropped at the re-attach deadline.
  caf::anon_send(trainers["a"], poke_atom::value);
  caf::anon_send(trainers["b"], poke_atom::value);
  env.run();
  EXPECT_GT(a->duplicates + b->duplicates, 0u);
  env.advance(6s);
  EXPECT_EQ(status(after).trainers, 2u);
  for (int i = 0; i < 100 && !status(after).finished; ++i) {
    caf::anon_send(trainers["a"], ack_some_atom::value, 3);
    caf::anon_send(trainers["b"], ack_some_atom::value, 3);
    env.run();
  }
  auto final_status = status(after);
  EXPECT_TRUE(final_status.finished);
  EXPECT_EQ(final_status.total_acked, 50u);
  expect_exactly_once({a, b, silent}, 400, 2);
  // The silent trainer's late acknowledgement is refused: it must register again.
  caf::anon_send(trainers["silent"], ack_some_atom::value, 1);
  env.run();
  ASSERT_FALSE(silent->errors.empty());
  EXPECT_EQ(silent->errors.back().code(), static_cast<uint8_t>(ingest_errc::unknown_trainer));
}

TEST_F(coordinator_test, corrupt_saved_ledger_is_refused_not_half_used) {
  snapshot_record broken{"ingest/coordinator", 1, {1, 2, 3, 4}};
  auto refused = spawn_coordinator(env.sys(), make_data(), make_options(16, 1),
                                   std::make_shared<runtime::memory_snapshot_store>(),
                                   "ingest/coordinator", broken);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), static_cast<uint8_t>(ingest_errc::ledger_corrupt));
}

TEST_F(coordinator_test, test_split_is_served_on_request) {
  auto coordinator = spawn_coordinator(env.sys(), make_data(), make_options(16, 1));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto [got, err] =
      test_requests(*coordinator, ingest_test_request{25, 10}, ingest_test_request{30, 1});
  EXPECT_EQ(got.size, 5u);
  EXPECT_EQ(indices_of(got), (std::vector<uint64_t>{25, 26, 27, 28, 29}));
  EXPECT_EQ(err.code(), static_cast<uint8_t>(ingest_errc::invalid_option));
}

TEST_F(coordinator_test, limits_serve_only_the_first_samples_of_the_shared_split) {
  auto data = make_data(200);
  data.train_limit = 50;
  data.test_limit = 20;
  auto coordinator = spawn_coordinator(env.sys(), data, make_options(16, 2));
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto a = add_trainer("a", 4, 4, true, [c = *coordinator] { return c; });
  env.run();
  auto [last_test, beyond] =
      test_requests(*coordinator, ingest_test_request{15, 10}, ingest_test_request{20, 1});
  ASSERT_TRUE(a->job);
  EXPECT_EQ(a->job->train_samples, 50u);
  EXPECT_EQ(a->job->test_samples, 20u);
  EXPECT_EQ(a->job->batches_per_epoch, 4u);
  expect_exactly_once({a}, 50, 2);
  for (auto& [epoch, seen] : a->trained)
    for (auto& [index, n] : seen)
      EXPECT_LT(index, 50u) << "epoch " << epoch;
  EXPECT_EQ(indices_of(last_test), (std::vector<uint64_t>{15, 16, 17, 18, 19}));
  EXPECT_EQ(beyond.code(), static_cast<uint8_t>(ingest_errc::invalid_option));
  EXPECT_EQ(data.content->train.count, 200u) << "the shared split is not cut";
}

TEST_F(coordinator_test, group_commit_saves_once_per_interval_and_replies_after_the_save) {
  auto store = std::make_shared<counting_store>();
  auto options = make_options(16, 2);
  options.commit_interval = 5ms;
  auto coordinator = spawn_coordinator(env.sys(), make_data(), options, store, "ingest/c");
  ASSERT_TRUE(coordinator);
  env.track(*coordinator);
  auto find = [c = *coordinator] { return c; };
  auto a = add_trainer("a", 4, 4, true, find);
  auto b = add_trainer("b", 4, 4, true, find);
  env.run();
  // Nothing is saved, sent or answered before the interval ends.
  EXPECT_EQ(store->saves, 0u);
  EXPECT_FALSE(a->job);
  EXPECT_EQ(a->received, 0u);
  for (int i = 0; i < 100 && !status(*coordinator).finished; ++i)
    env.advance(5ms);
  EXPECT_TRUE(status(*coordinator).finished)
      << "saves " << store->saves << " received " << a->received << " job " << a->job.has_value()
      << " errors " << a->errors.size() << " "
      << (a->errors.empty() ? std::string{} : describe(a->errors.front()));
  env.advance(5ms); // the last interval's save releases the last replies
  expect_exactly_once({a, b}, 200, 2);
  EXPECT_TRUE(a->errors.empty());
  EXPECT_LT(store->saves, 26u); // fewer saves than acknowledged batches
  EXPECT_GT(store->saves, 0u);
  auto saved = store->load("ingest/c");
  ASSERT_TRUE(saved && *saved);
  auto ledger = epoch_ledger::decode((*saved)->payload);
  ASSERT_TRUE(ledger);
  EXPECT_TRUE(ledger->finished());
}

TEST_F(coordinator_test, a_lost_trainers_trained_batches_are_acknowledged_not_handed_out_again) {
  auto fence = std::make_shared<fence_record>();
  fence->trained = 2;
  auto coordinator = fenced_coordinator(fence);
  auto [doomed, survivor] = lose_one_of_two(coordinator);
  ASSERT_EQ(fence->asked.size(), 1u);
  EXPECT_EQ(fence->asked[0].trainer, "doomed");
  EXPECT_EQ(fence->asked[0].handle, trainers["doomed"]);
  ASSERT_EQ(fence->asked[0].outstanding.size(), 3u);
  for (auto& b : fence->asked[0].outstanding)
    EXPECT_EQ(b.samples, 16u);
  for (auto& b : fence->answer.trained)
    EXPECT_EQ(survivor->seen.count({b.epoch, b.batch}), 0u) << "batch " << b.batch;
  auto s = status(coordinator);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.total_acked, 13u);
  credit_fenced(doomed, *fence);
  expect_exactly_once({doomed, survivor}, 200, 1);
}

TEST_F(coordinator_test, a_new_incarnation_joins_once_its_predecessors_fence_answered) {
  auto fence = std::make_shared<fence_record>();
  fence->trained = 1;
  fence->hold = true;
  auto coordinator = fenced_coordinator(fence);
  auto find = [coordinator] { return coordinator; };
  auto lost = add_trainer("worker", 4, 4, false, find);
  env.run();
  ASSERT_EQ(lost->held.size(), 4u);
  caf::anon_send_exit(trainers["worker"], caf::exit_reason::kill);
  env.run();
  ASSERT_EQ(fence->asked.size(), 1u);
  auto next = add_trainer("worker", 2, 2, true, find);
  env.run();
  EXPECT_FALSE(next->job);
  EXPECT_EQ(next->received, 0u);
  caf::anon_send(fence_handle, release_atom::value);
  env.run();
  ASSERT_TRUE(next->job);
  EXPECT_TRUE(status(coordinator).finished);
  EXPECT_EQ(next->seen.count({fence->answer.trained[0].epoch, fence->answer.trained[0].batch}), 0u);
  credit_fenced(lost, *fence);
  expect_exactly_once({lost, next}, 200, 1);
}

TEST_F(coordinator_test, a_trainer_registering_again_from_the_same_actor_is_not_fenced) {
  auto fence = std::make_shared<fence_record>();
  auto coordinator = fenced_coordinator(fence);
  size_t batches = 0;
  bool registered_twice = false;
  auto twice = env.sys().spawn([&](caf::event_based_actor* self) -> caf::behavior {
    self->request(coordinator, 1s, ingest_register{"again", 2}).then([=](ingest_job&) {
      self->request(coordinator, 1s, ingest_credit{"again", 2}).then([] {});
    });
    return {
        [&, self](ingest_batch&) {
          if (++batches == 2)
            self->request(coordinator, 1s, ingest_register{"again", 2}).then([&](ingest_job&) {
              registered_twice = true;
            });
        },
    };
  });
  env.track(twice);
  env.run();
  EXPECT_EQ(batches, 2u);
  EXPECT_TRUE(registered_twice);
  EXPECT_TRUE(fence->asked.empty());
}

// The job master is being restarted when a trainer is lost: not registered, then dead in the
// middle of the question. The coordinator asks again every fence_retry and its new instance
// answers, so the batches it trained are still not handed out again.
TEST_F(coordinator_test, a_fence_actor_being_restarted_is_asked_again_until_it_answers) {
  auto fence = std::make_shared<fence_record>();
  fence->hold = true;
  auto coordinator = fenced_coordinator(fence);
  auto first = fence_handle;
  fence_names->erase("train/master", first);
  auto [doomed, survivor] = lose_one_of_two(coordinator);
  EXPECT_TRUE(fence->asked.empty());
  EXPECT_FALSE(status(coordinator).finished) << "the lost trainer's batches went to the survivor";
  fence_names->put("train/master", first);
  env.advance(50ms);
  ASSERT_EQ(fence->asked.size(), 1u);
  // It dies before it answers; its successor answers.
  fence_names->erase("train/master", first);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  env.run();
  auto successor = std::make_shared<fence_record>();
  successor->trained = 2;
  auto second = env.sys().spawn(fence_actor, successor);
  env.track(second);
  fence_names->put("train/master", second);
  env.advance(50ms);
  ASSERT_EQ(successor->asked.size(), 1u);
  EXPECT_EQ(successor->asked[0].trainer, "doomed");
  for (auto& b : successor->answer.trained)
    EXPECT_EQ(survivor->seen.count({b.epoch, b.batch}), 0u) << "batch " << b.batch;
  auto s = status(coordinator);
  EXPECT_TRUE(s.finished);
  credit_fenced(doomed, *successor);
  expect_exactly_once({doomed, survivor}, 200, 1);
}

// A fence actor that never comes back: after fence_timeout the batches return untried.
TEST_F(coordinator_test, a_fence_actor_that_stays_away_lets_the_batches_return_after_the_timeout) {
  auto fence = std::make_shared<fence_record>();
  auto coordinator = fenced_coordinator(fence, 200ms);
  fence_names->erase("train/master", fence_handle);
  auto [doomed, survivor] = lose_one_of_two(coordinator);
  EXPECT_FALSE(status(coordinator).finished);
  for (int i = 0; i < 3; ++i)
    env.advance(50ms);
  EXPECT_FALSE(status(coordinator).finished) << "gave up before fence_timeout";
  for (int i = 0; i < 3; ++i)
    env.advance(50ms);
  EXPECT_TRUE(status(coordinator).finished);
  EXPECT_TRUE(fence->asked.empty());
  expect_exactly_once({doomed, survivor}, 200, 1);
}
