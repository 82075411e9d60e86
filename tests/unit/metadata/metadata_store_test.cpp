// The metadata store without actors: schema and migrations, atomic records and batches,
// lineage on a known graph, memo entries and GC, sample thinning, and clear errors for corrupt
// and locked database files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "actors/metadata/sample_throttle.hpp"
#include "messages/errors.hpp"

using namespace dmlp;
using namespace dmlp::metadata;

namespace {

class store_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dmlp-md-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.path = (dir_ / "metadata.db").string();
    options_.busy_timeout = std::chrono::milliseconds{50};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<metadata_store> open() {
    auto store = metadata_store::open(options_, 1000);
    EXPECT_TRUE(store) << describe(store.error());
    return store ? std::move(*store) : nullptr;
  }

  int64_t count(metadata_store&, const std::string& table) {
    sqlite3* db = nullptr;
    sqlite3_open(options_.path.c_str(), &db);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &q, nullptr);
    sqlite3_step(q);
    auto n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
  }

  /// Records an execution reading `inputs` and writing new artifacts named `outputs`.
  md_record_ack run(metadata_store& store, const std::string& name,
                    const std::vector<int64_t>& inputs, const std::vector<std::string>& outputs) {
    md_execution_record rec;
    rec.execution.type = "step@1";
    rec.execution.name = name;
    rec.execution.state = "complete";
    for (auto id : inputs)
      rec.inputs.push_back(md_input{"in" + std::to_string(id), id});
    for (const auto& o : outputs) {
      md_output out;
      out.name = o;
      out.artifact.type = "file";
      out.artifact.uri = "file:///data/" + o;
      out.artifact.digest = "sha256:" + o;
      rec.outputs.push_back(out);
    }
    auto ack = store.record(rec, 2000);
    EXPECT_TRUE(ack) << describe(ack.error());
    return ack ? *ack : md_record_ack{};
  }

  std::filesystem::path dir_;
  metadata_options options_;
};

std::set<int64_t> artifact_ids(const md_lineage& l) {
  std::set<int64_t> ids;
  for (const auto& a : l.artifacts)
    ids.insert(a.id);
  return ids;
}

std::set<std::string> execution_names(const md_lineage& l) {
  std::set<std::string> names;
  for (const auto& x : l.executions)
    names.insert(x.name);
  return names;
}

} // namespace

TEST_F(store_test, fresh_file_gets_current_schema_in_wal_mode) {
  auto store = open();
  ASSERT_TRUE(store);
  auto version = store->schema_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 3);
  sqlite3* db = nullptr;
  sqlite3_open(options_.path.c_str(), &db);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "wal");
  sqlite3_finalize(q);
  sqlite3_close(db);
  EXPECT_EQ(count(*store, "schema_version"), 3);
}

TEST_F(store_test, migrates_an_old_file_and_keeps_its_data) {
  {
    auto old = metadata_store::open_at_version(options_, 1, 500);
    ASSERT_TRUE(old);
    EXPECT_EQ(*(*old)->schema_version(), 1);
    run(**old, "ingest", {}, {"raw"});
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), 3);
  auto a = store->find_artifact("file:///data/raw");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->digest, "sha256:raw");
  md_sample s{1, 10, "memory", "", 1e6};
  EXPECT_TRUE(store->put_samples({s}));
}

TEST_F(store_test, newer_schema_is_refused) {
  { auto store = open(); }
  sqlite3* db = nullptr;
  sqlite3_open(options_.path.c_str(), &db);
  sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto store = metadata_store::open(options_, 0);
  ASSERT_FALSE(store);
  EXPECT_TRUE(is(store.error(), metadata_errc::schema_too_new)) << describe(store.error());
}

TEST_F(store_test, a_bad_record_leaves_nothing_behind) {
  auto store = open();
  md_execution_record rec;
  rec.execution.type = "t@1";
  rec.execution.name = "x";
  rec.execution.state = "complete";
  md_output out;
  out.name = "model";
  out.artifact.type = "model";
  out.artifact.uri = "file:///m";
  rec.outputs.push_back(out);
  rec.inputs.push_back(md_input{"ghost", 4242});
  auto ack = store->record(rec, 1);
  ASSERT_FALSE(ack);
  EXPECT_TRUE(is(ack.error(), metadata_errc::invalid_record)) << describe(ack.error());
  EXPECT_EQ(count(*store, "executions"), 0);
  EXPECT_EQ(count(*store, "artifacts"), 0);
  rec.inputs.clear();
  rec.execution.state = "exploded";
  EXPECT_FALSE(store->record(rec, 1));
  EXPECT_EQ(count(*store, "artifacts"), 0);
}

TEST_F(store_test, a_batch_commits_good_records_and_isolates_bad_ones) {
  auto store = open();
  ASSERT_FALSE(store->begin_batch());
  run(*store, "a", {}, {"a-out"});
  md_execution_record bad;
  bad.execution.type = "t@1";
  bad.execution.name = "bad";
  bad.execution.state = "complete";
  bad.inputs.push_back(md_input{"ghost", 999});
  EXPECT_FALSE(store->record(bad, 1));
  run(*store, "b", {}, {"b-out"});
  ASSERT_FALSE(store->commit_batch());
  EXPECT_EQ(count(*store, "executions"), 2);
  EXPECT_EQ(count(*store, "events"), 2);
  ASSERT_FALSE(store->begin_batch());
  run(*store, "c", {}, {});
  store->rollback_batch();
  EXPECT_EQ(count(*store, "executions"), 2);
}

TEST_F(store_test, lineage_of_a_known_graph) {
  auto store = open();
  // raw -> ingest -> data -> train1 -> m1 -> select -> best
  //                      data -> train2 -> m2 -> select
  auto raw = run(*store, "source", {}, {"raw"}).artifact_ids[0];
  auto data = run(*store, "ingest", {raw}, {"data"}).artifact_ids[0];
  auto m1 = run(*store, "train1", {data}, {"m1"}).artifact_ids[0];
  auto m2 = run(*store, "train2", {data}, {"m2"}).artifact_ids[0];
  auto best = run(*store, "select", {m1, m2}, {"best"}).artifact_ids[0];
  auto other = run(*store, "unrelated", {}, {"other"}).artifact_ids[0];

  auto up = store->lineage(best, lineage_direction::upstream);
  ASSERT_TRUE(up) << describe(up.error());
  EXPECT_EQ(artifact_ids(*up), (std::set<int64_t>{raw, data, m1, m2}));
  EXPECT_EQ(execution_names(*up),
            (std::set<std::string>{"source", "ingest", "train1", "train2", "select"}));

  auto down = store->lineage(data, lineage_direction::downstream);
  ASSERT_TRUE(down);
  EXPECT_EQ(artifact_ids(*down), (std::set<int64_t>{m1, m2, best}));
  EXPECT_EQ(execution_names(*down), (std::set<std::string>{"train1", "train2", "select"}));

  auto both = store->lineage(m1, lineage_direction::both);
  ASSERT_TRUE(both);
  EXPECT_EQ(artifact_ids(*both), (std::set<int64_t>{raw, data, best}));
  EXPECT_EQ(artifact_ids(*store->lineage(raw, lineage_direction::upstream)).size(), 0u);
  EXPECT_EQ(store->lineage(other, lineage_direction::both)->artifacts.size(), 0u);
  auto missing = store->lineage(424242, lineage_direction::both);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(is(missing.error(), metadata_errc::not_found));
}

TEST_F(store_test, runs_are_listed_and_shown) {
  auto store = open();
  md_context ctx;
  ctx.type = "pipeline_run";
  ctx.name = "r1";
  ctx.state = "running";
  auto id = store->put_context(ctx, 10);
  ASSERT_TRUE(id);
  md_execution_record rec;
  rec.execution.context_id = *id;
  rec.execution.type = "t@1";
  rec.execution.name = "a";
  rec.execution.state = "memoized";
  ASSERT_TRUE(store->record(rec, 11));
  ctx.id = *id;
  ctx.state = "succeeded";
  ASSERT_TRUE(store->put_context(ctx, 12));
  auto runs = store->list_runs();
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].context.state, "succeeded");
  EXPECT_EQ((*runs)[0].memoized, 1u);
  auto detail = store->show_run("r1");
  ASSERT_TRUE(detail);
  ASSERT_EQ(detail->executions.size(), 1u);
  EXPECT_EQ(detail->executions[0].name, "a");
  auto absent = store->show_run("nope");
  ASSERT_FALSE(absent);
  EXPECT_TRUE(is(absent.error(), metadata_errc::not_found));
}

TEST_F(store_test, memo_entries_hit_and_gc_by_last_hit) {
  auto store = open();
  auto ack = run(*store, "producer", {}, {"shared", "own"});
  md_memo_entry e;
  e.key = "k1";
  e.step_type = "t@1";
  e.execution_id = ack.execution_id;
  e.outputs = R"({"y":4})";
  md_artifact shared;
  shared.id = ack.artifact_ids[0];
  md_artifact own;
  own.id = ack.artifact_ids[1];
  e.artifacts = {md_output{"shared", shared}, md_output{"own", own}};
  e.created_ms = 100;
  ASSERT_FALSE(store->memo_put(e));
  auto e2 = e;
  e2.key = "k2";
  e2.artifacts = {md_output{"shared", shared}};
  e2.created_ms = 100;
  ASSERT_FALSE(store->memo_put(e2));
  auto found = store->memo_get("k1");
  ASSERT_TRUE(found && found->found);
  EXPECT_EQ(found->entry.outputs, R"({"y":4})");
  ASSERT_EQ(found->entry.artifacts.size(), 2u);
  EXPECT_EQ(found->entry.artifacts[0].artifact.uri, "file:///data/own");
  ASSERT_FALSE(store->memo_hit("k2", 5000));
  EXPECT_EQ(store->memo_get("k2")->entry.hits, 1);
  // k1 was last hit at 100, k2 at 5000: a cut-off at 1000 drops k1 only; "shared" stays.
  auto gc = store->memo_gc(1000);
  ASSERT_TRUE(gc);
  EXPECT_EQ(gc->keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(gc->orphan_uris, std::vector<std::string>{"file:///data/own"});
  EXPECT_FALSE(store->memo_get("k1")->found);
  EXPECT_TRUE(store->memo_get("k2")->found);
  ASSERT_FALSE(store->memo_delete("k2"));
  EXPECT_FALSE(store->memo_get("k2")->found);
}

TEST_F(store_test, corrupt_file_gives_a_clear_error) {
  {
    std::ofstream out{options_.path, std::ios::binary};
    out << std::string(8192, 'x');
  }
  auto store = metadata_store::open(options_, 0);
  ASSERT_FALSE(store);
  EXPECT_TRUE(is(store.error(), metadata_errc::corrupt)) << describe(store.error());
  auto line = describe(store.error());
  EXPECT_NE(line.find("metadata.corrupt"), std::string::npos) << line;
  EXPECT_NE(line.find(options_.path), std::string::npos) << line;
}

TEST_F(store_test, damaged_pages_are_reported_as_corrupt) {
  {
    auto store = open();
    for (int i = 0; i < 200; ++i)
      run(*store, "s" + std::to_string(i), {}, {"artifact-" + std::to_string(i)});
    sqlite3* db = nullptr;
    sqlite3_open(options_.path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  {
    std::fstream f{options_.path, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(4096 * 3);
    std::string junk(4096 * 4, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto store = metadata_store::open(options_, 0);
  caf::error err;
  if (!store) {
    err = store.error();
  } else {
    auto check = (*store)->integrity_check();
    auto lin = (*store)->lineage(1, lineage_direction::both);
    if (!check)
      err = check.error();
    else if (*check != "ok")
      err = caf::make_error(metadata_errc::corrupt, *check);
    else if (!lin)
      err = lin.error();
  }
  ASSERT_TRUE(err);
  EXPECT_TRUE(is(err, metadata_errc::corrupt)) << describe(err);
}

TEST_F(store_test, locked_database_gives_a_clear_error) {
  auto store = open();
  sqlite3* other = nullptr;
  sqlite3_open(options_.path.c_str(), &other);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  md_context ctx;
  ctx.type = "pipeline_run";
  ctx.name = "blocked";
  auto id = store->put_context(ctx, 1);
  ASSERT_FALSE(id);
  EXPECT_TRUE(is(id.error(), metadata_errc::locked)) << describe(id.error());
  EXPECT_NE(describe(id.error()).find("write lock"), std::string::npos);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(store->put_context(ctx, 1));
}

TEST_F(store_test, read_only_open_of_a_missing_file_fails_cleanly) {
  options_.read_only = true;
  auto store = metadata_store::open(options_, 0);
  ASSERT_FALSE(store);
  EXPECT_TRUE(is(store.error(), metadata_errc::open_failed)) << describe(store.error());
}

TEST(sample_throttle, keeps_one_sample_per_interval_and_series) {
  sample_throttle t{std::chrono::milliseconds{1000}};
  EXPECT_TRUE(t.admit({1, 0, "memory", "", 1}));
  EXPECT_FALSE(t.admit({1, 500, "memory", "", 2}));
  EXPECT_TRUE(t.admit({1, 500, "step_latency", "w1", 2}));
  EXPECT_TRUE(t.admit({1, 500, "step_latency", "w2", 2}));
  EXPECT_TRUE(t.admit({1, 1000, "memory", "", 3}));
  EXPECT_TRUE(t.admit({1, 10, "progress", "", 10}));
  EXPECT_TRUE(t.admit({1, 20, "progress", "", 100}));
  EXPECT_TRUE(t.admit({2, 1001, "memory", "", 3}));
  t.forget(1);
  EXPECT_EQ(t.tracked(), 1u);
  EXPECT_TRUE(t.admit({1, 1001, "memory", "", 3}));
}
