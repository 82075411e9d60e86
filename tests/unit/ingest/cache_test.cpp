// The disk and memory caches: miss then hit, a new key when the source or the transform
// changes, recovery from corrupted and truncated files, the shard directory as a dataset, file
// sharding over it, and the memory cache's budget.
#include <filesystem>

#include <gtest/gtest.h>

#include "actors/ingest/cache_codec.hpp"
#include "actors/ingest/disk_cache.hpp"
#include "actors/ingest/idx_dataset.hpp"
#include "actors/ingest/memory_cache.hpp"
#include "actors/ingest/shard_dataset.hpp"
#include "actors/ingest/shard_policy.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "runtime/storage.hpp"
#include "tests/unit/ingest/idx_fixture.hpp"

using namespace dmlp;
using namespace dmlp::ingest;
using dmlp::ingest::fixture::temp_dir;

namespace {

struct cache_fixture : ::testing::Test {
  temp_dir data;
  temp_dir cache_root;
  void SetUp() override { fixture::write_tiny_dataset(data.str(), 200, 50); }
  idx_dataset source() const { return idx_dataset{"tiny", data.str()}; }
  disk_cache cache(uint32_t shards = 3) const {
    return disk_cache{cache_options{cache_root.str(), shards}};
  }
};

void flip_byte(const std::string& path, size_t from_end) {
  auto bytes = runtime::read_file(path);
  ASSERT_TRUE(bytes);
  (*bytes)[bytes->size() - from_end] ^= 0x5A;
  fixture::write_bytes(path, *bytes);
}

} // namespace

TEST_F(cache_fixture, second_load_hits_and_returns_the_same_samples) {
  auto first = cache().load(source(), preprocessing{});
  ASSERT_TRUE(first) << describe(first.error());
  EXPECT_EQ(first->outcome, cache_outcome::miss);
  EXPECT_EQ(first->key.size(), 64u);
  EXPECT_EQ(first->content->train.count, 200u);
  EXPECT_EQ(first->content->test.count, 50u);
  auto second = cache().load(source(), preprocessing{});
  ASSERT_TRUE(second) << describe(second.error());
  EXPECT_EQ(second->outcome, cache_outcome::hit);
  EXPECT_EQ(second->key, first->key);
  EXPECT_EQ(second->content->train.pixels, first->content->train.pixels);
  EXPECT_EQ(second->content->train.labels, first->content->train.labels);
  EXPECT_EQ(second->content->test.pixels, first->content->test.pixels);
  EXPECT_FLOAT_EQ(second->content->train.pixels[1], 1.0f / 255.0f);
}

TEST_F(cache_fixture, changed_source_or_transform_misses_with_a_new_key) {
  auto base = cache().load(source(), preprocessing{});
  ASSERT_TRUE(base);
  preprocessing standardized;
  standardized.standardize = true;
  standardized.mean = 0.286;
  standardized.stddev = 0.353;
  auto other_transform = cache().load(source(), standardized);
  ASSERT_TRUE(other_transform);
  EXPECT_EQ(other_transform->outcome, cache_outcome::miss);
  EXPECT_NE(other_transform->key, base->key);
  fixture::write_tiny_dataset(data.str(), 200, 50, 3); // same shape, other pixels
  auto other_source = cache().load(source(), preprocessing{});
  ASSERT_TRUE(other_source);
  EXPECT_EQ(other_source->outcome, cache_outcome::miss);
  EXPECT_NE(other_source->key, base->key);
  EXPECT_NE(other_source->content->train.pixels, base->content->train.pixels);
}

TEST_F(cache_fixture, corrupted_shard_is_reported_and_rebuilt) {
  auto first = cache().load(source(), preprocessing{});
  ASSERT_TRUE(first);
  auto shard = first->entry_dir + "/train-00001-of-00003.shard";
  flip_byte(shard, 100);
  auto second = cache().load(source(), preprocessing{});
  ASSERT_TRUE(second) << describe(second.error());
  EXPECT_EQ(second->outcome, cache_outcome::rebuilt);
  EXPECT_NE(second->note.find("train-00001-of-00003.shard"), std::string::npos) << second->note;
  EXPECT_NE(second->note.find("checksum"), std::string::npos) << second->note;
  EXPECT_EQ(second->content->train.pixels, first->content->train.pixels);
  auto third = cache().load(source(), preprocessing{});
  ASSERT_TRUE(third);
  EXPECT_EQ(third->outcome, cache_outcome::hit);
}

TEST_F(cache_fixture, truncated_manifest_and_missing_shard_are_rebuilt) {
  auto first = cache().load(source(), preprocessing{});
  ASSERT_TRUE(first);
  auto manifest = first->entry_dir + "/" + manifest_file_name;
  auto bytes = runtime::read_file(manifest);
  bytes->resize(bytes->size() - 9);
  fixture::write_bytes(manifest, *bytes);
  auto second = cache().load(source(), preprocessing{});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome, cache_outcome::rebuilt);
  EXPECT_NE(second->note.find("truncated"), std::string::npos) << second->note;
  std::filesystem::remove(first->entry_dir + "/test-00002-of-00003.shard");
  auto third = cache().load(source(), preprocessing{});
  ASSERT_TRUE(third);
  EXPECT_EQ(third->outcome, cache_outcome::rebuilt);
  EXPECT_EQ(cache().load(source(), preprocessing{})->outcome, cache_outcome::hit);
}

TEST_F(cache_fixture, entry_without_manifest_is_a_miss_and_nothing_half_written_is_read) {
  auto first = cache().load(source(), preprocessing{});
  ASSERT_TRUE(first);
  std::filesystem::remove(first->entry_dir + "/" + manifest_file_name);
  auto second = cache().load(source(), preprocessing{});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome, cache_outcome::miss);
  for (auto& entry : std::filesystem::directory_iterator(first->entry_dir))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(cache_fixture, missing_source_is_an_error_not_a_crash) {
  temp_dir empty;
  auto result = cache().load(idx_dataset{"tiny", empty.str()}, preprocessing{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), static_cast<uint8_t>(ingest_errc::file_unreadable));
}

TEST_F(cache_fixture, a_cache_entry_is_a_shard_dataset_with_file_sharding) {
  auto first = cache(4).load(source(), preprocessing{});
  ASSERT_TRUE(first);
  shard_dataset shards{first->entry_dir};
  auto content = shards.load(preprocessing{});
  ASSERT_TRUE(content) << describe(content.error());
  EXPECT_EQ(content->train.pixels, first->content->train.pixels);
  preprocessing other;
  other.scale = 1.0;
  EXPECT_FALSE(shards.load(other));
  auto manifest = shards.manifest();
  ASSERT_TRUE(manifest);
  auto parts = file_shard_policy{}.split(manifest->splits[0].files, 2);
  ASSERT_TRUE(parts);
  uint64_t total = 0;
  for (auto& files : *parts) {
    auto part = shards.load_files(*manifest, "train", files);
    ASSERT_TRUE(part) << describe(part.error());
    EXPECT_EQ(part->count, 100u);
    total += part->count;
  }
  EXPECT_EQ(total, 200u);
}

TEST(shard_codec, inconsistent_shard_is_refused) {
  cache_shard shard;
  shard.cache_key = "k";
  shard.split = "train";
  shard.samples.count = 2;
  shard.samples.height = 2;
  shard.samples.width = 2;
  shard.samples.pixels.assign(8, 0.5f);
  shard.samples.labels = {1, 2};
  auto good = decode_shard_file(encode_shard_file(shard), "x.shard");
  ASSERT_TRUE(good) << describe(good.error());
  EXPECT_EQ(good->samples.labels, shard.samples.labels);
  shard.samples.count = 3;
  auto bad = decode_shard_file(encode_shard_file(shard), "x.shard");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), static_cast<uint8_t>(ingest_errc::cache_corrupt));
  EXPECT_NE(describe(bad.error()).find("x.shard: 3 samples announced"), std::string::npos)
      << describe(bad.error());
}

TEST(memory_cache, keeps_within_budget_and_reuses_entries) {
  auto make = [](size_t floats) {
    auto content = std::make_shared<dataset_content>();
    content->train.pixels.resize(floats);
    return std::shared_ptr<const dataset_content>(content);
  };
  memory_cache cache{1000};
  cache.put("a", make(100));
  cache.put("b", make(100));
  EXPECT_EQ(cache.bytes(), 800u);
  ASSERT_TRUE(cache.get("a")); // a is now the most recent
  cache.put("c", make(100));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get("b"));
  EXPECT_TRUE(cache.get("a"));
  cache.put("huge", make(1000));
  EXPECT_FALSE(cache.get("huge"));
  int loads = 0;
  auto loader = [&]() -> caf::expected<std::shared_ptr<const dataset_content>> {
    ++loads;
    return make(10);
  };
  ASSERT_TRUE(cache.get_or_load("d", loader));
  ASSERT_TRUE(cache.get_or_load("d", loader));
  EXPECT_EQ(loads, 1);
}
