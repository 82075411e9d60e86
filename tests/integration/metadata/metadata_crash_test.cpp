// Batched metadata writes survive a crash between (and during) batches: a child process
// writes batches of run records (an execution with three output artifacts each) as fast as it
// can and reports every commit through a pipe; the parent SIGKILLs it at an arbitrary moment,
// reopens the database and checks PRAGMA integrity_check, that every reported batch is there,
// and that no partial batch or partial record exists. Three rounds on the same file, so
// recovery and later writes are exercised too.
#include <csignal>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actors/metadata/metadata_store.hpp"
#include "messages/errors.hpp"

using namespace dmlp;
using namespace dmlp::metadata;

namespace {

constexpr int records_per_batch = 50;

[[noreturn]] void child_writer(const std::string& path, int fd) {
  metadata_options options;
  options.path = path;
  auto store = metadata_store::open(options, 1);
  if (!store)
    _exit(2);
  for (int batch = 0; batch < 100000; ++batch) {
    if ((*store)->begin_batch())
      _exit(3);
    for (int i = 0; i < records_per_batch; ++i) {
      md_execution_record rec;
      rec.execution.type = "writer@1";
      rec.execution.name = "b" + std::to_string(batch) + "-" + std::to_string(i);
      rec.execution.state = "complete";
      for (int k = 0; k < 3; ++k) {
        md_output out;
        out.name = "out" + std::to_string(k);
        out.artifact.type = "file";
        out.artifact.uri = "file:///x/" + rec.execution.name + "/" + out.name;
        rec.outputs.push_back(out);
      }
      if (!(*store)->record(rec, 1))
        _exit(4);
    }
    if ((*store)->commit_batch())
      _exit(5);
    char byte = 1;
    if (write(fd, &byte, 1) != 1)
      _exit(6);
  }
  _exit(0);
}

int64_t scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &q, nullptr);
  sqlite3_step(q);
  auto v = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  return v;
}

} // namespace

TEST(metadata_crash, sigkill_between_batches_leaves_whole_batches_only) {
  auto dir = std::filesystem::temp_directory_path() / ("dmlp-crash-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto path = (dir / "metadata.db").string();
  int64_t committed = 0;
  for (int round : {3, 7, 12}) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    auto pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      child_writer(path, fds[1]);
    }
    close(fds[1]);
    for (int seen = 0; seen < round;) {
      char byte;
      auto n = read(fds[0], &byte, 1);
      ASSERT_EQ(n, 1) << "the writer died early";
      ++seen;
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    char byte;
    while (read(fds[0], &byte, 1) == 1)
      ++round;
    close(fds[0]);
    committed += round;

    metadata_options options;
    options.path = path;
    auto store = metadata_store::open(options, 2);
    ASSERT_TRUE(store) << describe(store.error());
    auto check = (*store)->integrity_check();
    ASSERT_TRUE(check);
    EXPECT_EQ(*check, "ok");
    store->reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    auto executions = scalar(db, "SELECT count(*) FROM executions");
    EXPECT_EQ(executions % records_per_batch, 0) << "a partial batch survived";
    EXPECT_GE(executions, committed * records_per_batch) << "a reported batch was lost";
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM executions x WHERE (SELECT count(*) FROM "
                         "events e WHERE e.execution_id = x.id AND e.kind = 'OUTPUT') != 3"),
              0)
        << "a partial record survived";
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM artifacts"), executions * 3);
    committed = executions / records_per_batch;
    sqlite3_close(db);
  }
  std::filesystem::remove_all(dir);
}
