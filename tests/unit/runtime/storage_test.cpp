// Durable state: atomic file writes, record logs (whole records back, a torn or corrupt tail
// reported), the file snapshot store's corruption handling, and the name registry.
#include <filesystem>
#include <fstream>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "runtime/errors.hpp"
#include "runtime/name_registry.hpp"
#include "runtime/record_log.hpp"
#include "runtime/snapshot_store.hpp"
#include "runtime/storage.hpp"

using namespace dmlp;
using namespace dmlp::runtime;

namespace {

std::string fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("dmlp-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

} // namespace

TEST(storage, atomic_write_replaces_and_leaves_no_temp_files) {
  auto dir = fresh_dir("atomic");
  auto path = dir + "/file.bin";
  ASSERT_FALSE(write_file_atomic(path, {1, 2, 3}));
  ASSERT_FALSE(write_file_atomic(path, {4, 5}));
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{4, 5}));
  size_t files = 0;
  for (auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  auto missing = read_file(dir + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), caf::error{runtime_errc::io_failure});
  EXPECT_TRUE(write_file_atomic("/nonexistent-dir/x", {1}));
}

TEST(file_snapshot_store, round_trips_and_survives_a_new_instance) {
  auto dir = fresh_dir("snap");
  {
    file_snapshot_store store{dir};
    EXPECT_EQ(store.save("demo/ledger", {1, 2, 3}), uint64_t{1});
    EXPECT_EQ(store.save("demo/ledger", {4, 5, 6, 7}), uint64_t{2});
  }
  file_snapshot_store reopened{dir};
  auto loaded = reopened.load("demo/ledger");
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->payload, (std::vector<uint8_t>{4, 5, 6, 7}));
  EXPECT_EQ((*loaded)->sequence, 2u);
  EXPECT_EQ(reopened.save("demo/ledger", {9}), uint64_t{3}) << "numbering continues";
  auto none = reopened.load("other");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(file_snapshot_store, detects_truncation_and_corruption) {
  auto dir = fresh_dir("corrupt");
  file_snapshot_store store{dir};
  ASSERT_TRUE(store.save("k", std::vector<uint8_t>(100, 7)));
  auto path = store.path_of("k");
  auto bytes = *read_file(path);
  auto flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x40;
  ASSERT_FALSE(write_file_atomic(path, flipped));
  auto corrupt = store.load("k");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error(), caf::error{codec_errc::checksum_mismatch});
  EXPECT_NE(describe(corrupt.error()).find(path), std::string::npos);
  bytes.resize(bytes.size() / 2);
  ASSERT_FALSE(write_file_atomic(path, bytes));
  auto truncated = store.load("k");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error(), caf::error{codec_errc::truncated});
  ASSERT_FALSE(write_file_atomic(path, {'g', 'a', 'r', 'b', 'a', 'g', 'e'}));
  EXPECT_FALSE(store.load("k"));
}

TEST(memory_snapshot_store, keeps_the_newest_record) {
  memory_snapshot_store store;
  EXPECT_EQ(store.save("a", {1}), uint64_t{1});
  EXPECT_EQ(store.save("a", {2}), uint64_t{2});
  auto loaded = store.load("a");
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->payload, std::vector<uint8_t>{2});
}

TEST(name_registry, erase_only_removes_the_same_instance) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto a = sys.spawn([] { return caf::behavior{[](int) {}}; });
  auto b = sys.spawn([] { return caf::behavior{[](int) {}}; });
  name_registry names;
  names.put("tree/x", a);
  names.put("tree/y", b);
  names.put("other/z", b);
  names.put("tree/x", b);
  names.erase("tree/x", a);
  EXPECT_EQ(names.get("tree/x"), b) << "a stale instance does not remove its successor";
  EXPECT_EQ(names.list("tree/").size(), 2u);
  names.erase("tree/x", b);
  EXPECT_FALSE(names.get("tree/x"));
  caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(b, caf::exit_reason::kill);
}

TEST(record_log, appended_records_come_back_and_a_damaged_tail_is_reported) {
  auto dir = fresh_dir("record-log");
  auto path = dir + "/log";
  auto magic = make_magic("DMLPTEST");
  auto none = read_records(path, magic, 1);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->bodies.empty());
  EXPECT_TRUE(none->damage.empty());
  {
    auto log = record_log::open(path, magic, 1);
    ASSERT_TRUE(log);
    for (uint8_t i = 0; i < 3; ++i)
      ASSERT_FALSE(log->append(std::vector<uint8_t>(10 * (i + 1), i)));
  }
  auto whole = read_records(path, magic, 1);
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->bodies.size(), 3u);
  EXPECT_EQ(whole->bodies[2], std::vector<uint8_t>(30, 2));
  EXPECT_TRUE(whole->damage.empty());
  // The last record loses a byte: the two before it come back, and why the rest did not.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  auto torn = read_records(path, magic, 1);
  ASSERT_TRUE(torn);
  EXPECT_EQ(torn->bodies.size(), 2u);
  EXPECT_NE(torn->damage.find("torn"), std::string::npos) << torn->damage;
  // Another format's records are no records of this one.
  auto other = read_records(path, make_magic("DMLPELSE"), 1);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->bodies.empty());
  EXPECT_FALSE(other->damage.empty());
  // Appending after clear() starts the file over.
  auto log = record_log::open(path, magic, 1);
  ASSERT_TRUE(log);
  ASSERT_FALSE(log->clear());
  ASSERT_FALSE(log->append({7}));
  auto fresh = read_records(path, magic, 1);
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->bodies.size(), 1u);
  EXPECT_EQ(fresh->bodies[0], std::vector<uint8_t>{7});
  std::filesystem::remove_all(dir);
}
