// Load-balancing policies and the consistent-hash ring as pure classes.
#include <gtest/gtest.h>

#include <map>

#include "actors/serving/balancing_policy.hpp"
#include "actors/serving/consistent_hash_ring.hpp"
#include "actors/serving/errors.hpp"

using namespace dmlp::serving;

namespace {

std::vector<replica_view> views(std::vector<uint32_t> outstanding) {
  std::vector<replica_view> out;
  for (size_t i = 0; i < outstanding.size(); ++i)
    out.push_back({"replica-" + std::to_string(i + 1), outstanding[i]});
  return out;
}

} // namespace

TEST(balancing_policy, round_robin_cycles) {
  round_robin_policy p;
  auto c = views({5, 0, 9});
  EXPECT_EQ(*p.pick(c, ""), 0u);
  EXPECT_EQ(*p.pick(c, ""), 1u);
  EXPECT_EQ(*p.pick(c, ""), 2u);
  EXPECT_EQ(*p.pick(c, ""), 0u);
  EXPECT_FALSE(p.pick({}, ""));
}

TEST(balancing_policy, least_outstanding_picks_the_idlest_and_rotates_ties) {
  least_outstanding_policy p;
  EXPECT_EQ(*p.pick(views({5, 1, 9}), ""), 1u);
  std::map<size_t, int> hits;
  for (int i = 0; i < 30; ++i)
    ++hits[*p.pick(views({2, 2, 2}), "")];
  EXPECT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0], 10);
}

TEST(balancing_policy, consistent_hash_keeps_keys_on_their_replica) {
  consistent_hash_policy p;
  auto c = views({0, 0, 0});
  auto first = *p.pick(c, "user-17");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(*p.pick(c, "user-17"), first);
  // Removing another replica does not move the key.
  std::vector<replica_view> fewer;
  for (size_t i = 0; i < c.size(); ++i)
    if (i == first || fewer.size() < 1)
      fewer.push_back(c[i]);
  auto again = *p.pick(fewer, "user-17");
  EXPECT_EQ(fewer[again].id, c[first].id);
  // Keyless requests fall back to least outstanding.
  EXPECT_EQ(*p.pick(views({3, 0, 3}), ""), 1u);
}

TEST(balancing_policy, parses_names) {
  EXPECT_EQ(*parse_balancing_kind("round_robin"), balancing_kind::round_robin);
  EXPECT_EQ(*parse_balancing_kind("consistent_hash"), balancing_kind::consistent_hash);
  EXPECT_EQ(parse_balancing_kind("random").error(), serving_errc::bad_option);
}

TEST(consistent_hash_ring, spreads_keys_and_moves_few_on_change) {
  consistent_hash_ring ring{64};
  ring.assign({"a", "b", "c", "d"});
  std::map<std::string, int> load;
  std::map<int, std::string> before;
  for (int k = 0; k < 4000; ++k) {
    auto o = *ring.owner("key-" + std::to_string(k));
    ++load[o];
    before[k] = o;
  }
  for (auto& [m, n] : load) {
    EXPECT_GT(n, 600) << m;
    EXPECT_LT(n, 1400) << m;
  }
  ring.assign({"a", "b", "c"});
  int moved = 0;
  for (int k = 0; k < 4000; ++k) {
    auto o = *ring.owner("key-" + std::to_string(k));
    if (o != before[k]) {
      ++moved;
      EXPECT_EQ(before[k], "d"); // only d's keys move
    }
  }
  EXPECT_EQ(moved, load["d"]);
  EXPECT_FALSE(consistent_hash_ring{}.owner("x"));
  EXPECT_EQ(consistent_hash_ring::hash("abc"), consistent_hash_ring::hash("abc"));
}
