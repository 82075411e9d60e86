// The `ingest:` YAML mapping: every key maps to its option, unknown keys and bad values are
// errors that name the file and the key.
#include <gtest/gtest.h>

#include "actors/ingest/options.hpp"
#include "messages/errors.hpp"

using namespace dmlp;
using namespace dmlp::ingest;

TEST(ingest_options, every_key_is_read) {
  auto reader = runtime::config_reader::from_string(R"(
dataset: mnist
data_dir: /data/mnist
cache_dir: /tmp/c
shards: 8
batch_size: 32
seed: 9
shuffle: false
shard_mode: strided
max_epochs: 3
max_window: 16
reattach_timeout: 2s
commit_interval: 0
)",
                                                    "ingest.yaml");
  ASSERT_TRUE(reader);
  ingest_options options;
  ASSERT_FALSE(read_ingest_options(*reader, options));
  EXPECT_EQ(options.dataset.name, "mnist");
  EXPECT_EQ(options.dataset.data_dir, "/data/mnist");
  EXPECT_EQ(options.cache.directory, "/tmp/c");
  EXPECT_EQ(options.cache.shards, 8u);
  EXPECT_EQ(options.coordinator.ledger.batch_size, 32u);
  EXPECT_EQ(options.coordinator.ledger.seed, 9u);
  EXPECT_FALSE(options.coordinator.ledger.shuffle);
  EXPECT_EQ(options.coordinator.ledger.mode, shard_mode::strided);
  EXPECT_EQ(options.coordinator.ledger.max_epochs, 3u);
  EXPECT_EQ(options.coordinator.max_window, 16u);
  EXPECT_EQ(options.coordinator.reattach_timeout, std::chrono::milliseconds{2000});
  EXPECT_EQ(options.coordinator.commit_interval, std::chrono::milliseconds{0});
}

TEST(ingest_options, defaults_stay_when_keys_are_absent) {
  auto reader = runtime::config_reader::from_string("{}", "ingest.yaml");
  ASSERT_TRUE(reader);
  ingest_options options;
  ASSERT_FALSE(read_ingest_options(*reader, options));
  EXPECT_EQ(options.dataset.name, "fashion-mnist");
  EXPECT_EQ(options.cache.shards, 4u);
  EXPECT_EQ(options.coordinator.ledger.batch_size, 64u);
}

TEST(ingest_options, unknown_keys_and_bad_values_are_named) {
  auto unknown = runtime::config_reader::from_string("batchsize: 3\n", "ingest.yaml");
  ingest_options options;
  auto err = read_ingest_options(*unknown, options);
  ASSERT_TRUE(err);
  EXPECT_NE(describe(err).find("batchsize"), std::string::npos) << describe(err);
  auto bad = runtime::config_reader::from_string("shard_mode: random\n", "ingest.yaml");
  err = read_ingest_options(*bad, options);
  ASSERT_TRUE(err);
  EXPECT_NE(describe(err).find("ingest.yaml: shard_mode"), std::string::npos) << describe(err);
  auto zero = runtime::config_reader::from_string("shards: 0\n", "ingest.yaml");
  err = read_ingest_options(*zero, options);
  ASSERT_TRUE(err);
  EXPECT_NE(describe(err).find("shards"), std::string::npos) << describe(err);
}
