// Shard policies and the per-epoch shuffle: sizes, disjointness, coverage, determinism.
#include <algorithm>
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "actors/ingest/shard_policy.hpp"
#include "messages/ingest_errors.hpp"

using namespace dmlp::ingest;

TEST(shard_policy, contiguous_split_is_balanced_and_ordered) {
  std::vector<uint64_t> items(10);
  std::iota(items.begin(), items.end(), 0);
  auto parts = index_shard_policy{shard_mode::contiguous}.split(items, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(parts[1], (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(parts[2], (std::vector<uint64_t>{6, 7, 8, 9}));
  EXPECT_EQ(index_shard_policy{shard_mode::contiguous}.shard_of(10, 1, 3),
            (std::vector<uint64_t>{3, 4, 5}));
}

TEST(shard_policy, strided_split_deals_round_robin) {
  std::vector<uint64_t> items(7);
  std::iota(items.begin(), items.end(), 0);
  auto parts = index_shard_policy{shard_mode::strided}.split(items, 3);
  EXPECT_EQ(parts[0], (std::vector<uint64_t>{0, 3, 6}));
  EXPECT_EQ(parts[1], (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(parts[2], (std::vector<uint64_t>{2, 5}));
  EXPECT_EQ(index_shard_policy{shard_mode::strided}.shard_of(7, 2, 3),
            (std::vector<uint64_t>{2, 5}));
}

TEST(shard_policy, shards_cover_every_index_once) {
  for (auto mode : {shard_mode::contiguous, shard_mode::strided})
    for (size_t parts = 1; parts < 9; ++parts) {
      std::multiset<uint64_t> seen;
      for (size_t k = 0; k < parts; ++k)
        for (auto i : index_shard_policy{mode}.shard_of(101, k, parts))
          seen.insert(i);
      ASSERT_EQ(seen.size(), 101u);
      for (uint64_t i = 0; i < 101; ++i)
        EXPECT_EQ(seen.count(i), 1u);
    }
}

TEST(shard_policy, file_policy_assigns_whole_files) {
  file_shard_policy policy;
  auto parts = policy.split({"a", "b", "c", "d", "e"}, 2);
  ASSERT_TRUE(parts);
  EXPECT_EQ((*parts)[0], (std::vector<std::string>{"a", "c", "e"}));
  EXPECT_EQ((*parts)[1], (std::vector<std::string>{"b", "d"}));
  auto too_few = policy.split({"a"}, 2);
  ASSERT_FALSE(too_few);
  EXPECT_EQ(too_few.error().code(), static_cast<uint8_t>(ingest_errc::unshardable));
}

TEST(shard_policy, epoch_permutation_is_a_seeded_permutation) {
  auto a = epoch_permutation(1000, 42, 0);
  auto b = epoch_permutation(1000, 42, 0);
  auto c = epoch_permutation(1000, 42, 1);
  auto d = epoch_permutation(1000, 43, 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[i], i);
}

TEST(shard_policy, parse_shard_mode_rejects_unknown_names) {
  EXPECT_EQ(*parse_shard_mode("strided"), shard_mode::strided);
  EXPECT_EQ(*parse_shard_mode("contiguous"), shard_mode::contiguous);
  EXPECT_FALSE(parse_shard_mode("random"));
}
