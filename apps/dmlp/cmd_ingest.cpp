// `dmlp ingest`: loads a dataset through the ingest disk cache (building or repairing the
// cache entry when needed) and reports what it found. Run:
//   build/bin/dmlp ingest --dataset fashion-mnist [--data-dir DIR] [--cache-dir DIR]
//                         [--shards N] [--json]
// With --json the last stdout line is
//   {"train_samples":60000,"test_samples":10000,"cache":"miss|hit|rebuilt","cache_key":"…",
//    "shards":N,"seconds":…}
// A missing or corrupt dataset prints one line "dmlp ingest: <reason>" and exits 1.
#include <chrono>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "actors/ingest/dataset.hpp"
#include "actors/ingest/disk_cache.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::cli {

namespace {

struct ingest_flags {
  ingest::dataset_options dataset;
  ingest::cache_options cache;
  bool json = false;
};

int run_ingest(const ingest_flags& flags) {
  ingest::register_ingest_error_names();
  auto start = std::chrono::steady_clock::now();
  auto source = ingest::make_dataset(flags.dataset);
  if (!source) {
    std::cerr << "dmlp ingest: " << describe(source.error()) << "\n";
    return 1;
  }
  ingest::disk_cache cache{flags.cache};
  auto loaded = cache.load(**source, preprocessing{});
  if (!loaded) {
    std::cerr << "dmlp ingest: " << describe(loaded.error()) << "\n";
    return 1;
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!loaded->note.empty())
    std::cerr << "dmlp ingest: cache entry was corrupt and has been rebuilt: " << loaded->note
              << "\n";
  auto& content = *loaded->content;
  std::cout << "dataset " << (*source)->name() << ": " << content.train.count << " train, "
            << content.test.count << " test samples; cache " << to_string(loaded->outcome) << " at "
            << loaded->entry_dir << " (" << flags.cache.shards << " shards per split) in "
            << seconds << " s\n";
  if (flags.json) {
    nlohmann::json j{{"train_samples", content.train.count}, {"test_samples", content.test.count},
                     {"cache", to_string(loaded->outcome)},  {"cache_key", loaded->key},
                     {"shards", flags.cache.shards},         {"seconds", seconds}};
    std::cout << j.dump() << "\n";
  }
  return 0;
}

} // namespace

void add_ingest_command(CLI::App& app, command_context& ctx) {
  auto flags = std::make_shared<ingest_flags>();
  auto cmd = app.add_subcommand("ingest", "load a dataset through the ingest cache and report it");
  cmd->add_option("--dataset", flags->dataset.name, "fashion-mnist, mnist or shards")
      ->capture_default_str();
  cmd->add_option("--data-dir", flags->dataset.data_dir,
                  "dataset directory (default /usr/share/datasets/<dataset>)");
  cmd->add_option("--cache-dir", flags->cache.directory,
                  "cache root (default $DMLP_HOME/cache/ingest or ~/.cache/dmlp/ingest)");
  cmd->add_option("--shards", flags->cache.shards, "cache shard files per split")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  cmd->add_flag("--json", flags->json, "print a JSON object as the last line");
  cmd->callback([flags, &ctx] { ctx.exit_code = run_ingest(*flags); });
}

} // namespace dmlp::cli
