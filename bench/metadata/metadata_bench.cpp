// Metadata write throughput, batched vs unbatched, measured in the same run:
//   store:  N run records (an execution with one output artifact) each in its own transaction
//           vs the same records committed 256 per transaction (synchronous=FULL: one fsync per
//           commit);
//   actor:  N md_record_atom requests in flight at once to the metadata actor with
//           batch_max=1 (a commit per write) vs batch_max=256, batch_interval=5ms; and 200
//           requests one after the other (each waits for its batch: the latency cost).
// Prints records/s and the batched/unbatched ratios; with --json the last line is one JSON
// object. Usage: metadata_bench [--records N] [--json]
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <unistd.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/metadata/metadata_actor.hpp"
#include "actors/metadata/metadata_errors.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::metadata;

namespace {

md_execution_record make_record(int i) {
  md_execution_record rec;
  rec.execution.type = "bench@1";
  rec.execution.name = "step-" + std::to_string(i);
  rec.execution.state = "complete";
  rec.execution.parameters = R"({"lr":0.001,"epochs":3})";
  md_output out;
  out.name = "model";
  out.artifact.type = "model";
  out.artifact.uri = "file:///bench/model-" + std::to_string(i);
  out.artifact.digest = "sha256:0123456789abcdef";
  rec.outputs.push_back(out);
  return rec;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

metadata_options fresh(const std::filesystem::path& dir, const std::string& name) {
  metadata_options options;
  options.path = (dir / name).string();
  std::filesystem::remove(options.path);
  return options;
}

double store_rate(const metadata_options& options, int records, int batch) {
  auto store = metadata_store::open(options, 1);
  if (!store) {
    std::cerr << describe(store.error()) << "\n";
    std::exit(1);
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < records; i += batch) {
    if (batch > 1)
      (*store)->begin_batch();
    for (int k = i; k < i + batch && k < records; ++k)
      if (!(*store)->record(make_record(k), 1))
        std::exit(1);
    if (batch > 1)
      (*store)->commit_batch();
  }
  return records / seconds_since(start);
}

double actor_rate_sequential(caf::actor_system& sys, metadata_options options, int records) {
  auto md = spawn_metadata_actor(sys, options);
  if (!md) {
    std::cerr << describe(md.error()) << "\n";
    std::exit(1);
  }
  caf::scoped_actor self{sys};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < records; ++i)
    self->request(*md, std::chrono::seconds{120}, md_record_atom::value, make_record(i))
        .receive([](const md_record_ack&) {},
                 [](caf::error& e) {
                   std::cerr << describe(e) << "\n";
                   std::exit(1);
                 });
  auto rate = records / seconds_since(start);
  self->send_exit(*md, caf::exit_reason::user_shutdown);
  return rate;
}

double actor_rate_pipelined(caf::actor_system& sys, metadata_options options, int records) {
  auto md = spawn_metadata_actor(sys, options);
  if (!md) {
    std::cerr << describe(md.error()) << "\n";
    std::exit(1);
  }
  auto done = std::make_shared<std::promise<double>>();
  auto result = done->get_future();
  auto start = std::chrono::steady_clock::now();
  sys.spawn([=](caf::event_based_actor* self) {
    auto left = std::make_shared<int>(records);
    for (int i = 0; i < records; ++i)
      self->request(*md, std::chrono::seconds{120}, md_record_atom::value, make_record(i))
          .then(
              [=](const md_record_ack&) {
                if (--*left == 0) {
                  done->set_value(records / seconds_since(start));
                  self->quit();
                }
              },
              [=](caf::error& e) {
                std::cerr << describe(e) << "\n";
                std::exit(1);
              });
  });
  auto rate = result.get();
  caf::anon_send_exit(*md, caf::exit_reason::user_shutdown);
  return rate;
}

} // namespace

int main(int argc, char** argv) {
  int records = 2000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0)
      json = true;
    else if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      records = std::stoi(argv[++i]);
  }
  auto dir = std::filesystem::temp_directory_path() / ("dmlp-md-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto unbatched = store_rate(fresh(dir, "a.db"), records, 1);
  auto batched = store_rate(fresh(dir, "b.db"), records, 256);

  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  register_metadata_errors(cfg);
  caf::actor_system sys{cfg};
  auto one = fresh(dir, "c.db");
  one.batch_max = 1;
  one.batch_interval = std::chrono::milliseconds{0};
  auto actor_unbatched = actor_rate_pipelined(sys, one, records);
  auto many = fresh(dir, "d.db");
  auto actor_batched = actor_rate_pipelined(sys, many, records);
  auto sequential = actor_rate_sequential(sys, fresh(dir, "e.db"), std::min(records, 200));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);

  std::cout << "metadata writes, " << records << " records (execution + artifact + event)\n"
            << "  store, one transaction per record : " << unbatched << " records/s\n"
            << "  store, 256 records per transaction: " << batched << " records/s  (x"
            << batched / unbatched << ")\n"
            << "  actor, batch_max=1                : " << actor_unbatched << " records/s\n"
            << "  actor, batch_max=256, 5 ms        : " << actor_batched << " records/s  (x"
            << actor_batched / actor_unbatched << ")\n"
            << "  actor, one request at a time      : " << sequential << " records/s\n";
  if (json) {
    nlohmann::json out;
    out["bench"] = "metadata";
    out["records"] = records;
    out["store_unbatched_per_s"] = unbatched;
    out["store_batched_per_s"] = batched;
    out["store_ratio"] = batched / unbatched;
    out["actor_unbatched_per_s"] = actor_unbatched;
    out["actor_batched_per_s"] = actor_batched;
    out["actor_ratio"] = actor_batched / actor_unbatched;
    out["actor_sequential_per_s"] = sequential;
    std::cout << out.dump() << "\n";
  }
  return 0;
}
