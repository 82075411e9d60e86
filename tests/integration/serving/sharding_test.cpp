// The sharded service: a 1,000-image request split over shards and merged in order equals the
// unsharded answer; keyed requests go whole to their shard.
#include "tests/integration/serving/serving_env.hpp"

#include <random>

#include "actors/serving/shard_router.hpp"

using namespace dmlp;
using namespace dmlp::serving;
using namespace dmlp::serving::test;

namespace {

class sharding_test : public serving_env {};

inference_result run(caf::actor_system& sys, const caf::actor& entry, inference_request req) {
  caf::scoped_actor self{sys};
  inference_result out;
  self->request(entry, std::chrono::seconds{60}, infer_atom::value, std::move(req))
      .receive([&](inference_result& r) { out = std::move(r); },
               [&](caf::error& err) { ADD_FAILURE() << describe(err); });
  return out;
}

} // namespace

TEST_F(sharding_test, a_split_request_equals_the_unsharded_one) {
  auto whole = start(options(1), 1);
  std::vector<caf::actor> shards;
  for (auto name : {"shard-a", "shard-b", "shard-c"}) {
    auto o = options(1);
    o.name = name;
    shards.push_back(start(o, 1)->router());
  }
  auto sharded = spawn_shard_router(*sys_, shards);
  inference_request req;
  req.samples = 1000;
  std::mt19937 rng{7};
  std::uniform_int_distribution<int> pixel{0, 255};
  req.inputs.resize(1000 * 784);
  for (auto& x : req.inputs)
    x = static_cast<float>(pixel(rng));
  auto expected = run(*sys_, whole->router(), req);
  auto got = run(*sys_, sharded, req);
  ASSERT_EQ(got.samples, 1000u);
  ASSERT_EQ(got.outputs.size(), expected.outputs.size());
  for (size_t i = 0; i < got.outputs.size(); ++i)
    ASSERT_NEAR(got.outputs[i], expected.outputs[i], 1e-5) << i;
  // Each shard served one part.
  caf::scoped_actor self{*sys_};
  for (auto& shard : shards)
    self->request(shard, std::chrono::seconds{5}, router_stats_atom::value)
        .receive([](router_stats& s) { EXPECT_EQ(s.served, 1u); }, [](caf::error&) {});
  // Keyed requests go whole to the shard owning the key, always the same one.
  inference_request keyed;
  keyed.key = "customer-42";
  keyed.samples = 4;
  keyed.inputs.assign(4 * 784, 10.0f);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(*sys_, sharded, keyed).samples, 4u);
  int owners = 0;
  for (auto& shard : shards)
    self->request(shard, std::chrono::seconds{5}, router_stats_atom::value)
        .receive([&](router_stats& s) { owners += s.served == 4u; }, [](caf::error&) {});
  EXPECT_EQ(owners, 1);
  caf::anon_send_exit(sharded, caf::exit_reason::user_shutdown);
}
