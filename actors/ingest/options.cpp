#include "actors/ingest/options.hpp"

#include "runtime/errors.hpp"

namespace dmlp::ingest {

namespace {

caf::error invalid(const runtime::config_reader& reader, const std::string& key,
                   const std::string& what) {
  return caf::make_error(runtime::runtime_errc::config_invalid_value,
                         reader.where(key) + ": " + what);
}

} // namespace

caf::error read_ingest_options(runtime::config_reader& reader, ingest_options& out) {
  auto& ledger = out.coordinator.ledger;
  int64_t seed = static_cast<int64_t>(ledger.seed);
  int64_t shards = out.cache.shards;
  std::string mode = to_string(ledger.mode);
  caf::error err;
  if ((err = reader.read("dataset", out.dataset.name)) ||
      (err = reader.read("data_dir", out.dataset.data_dir)) ||
      (err = reader.read("cache_dir", out.cache.directory)) ||
      (err = reader.read("shards", shards)) ||
      (err = reader.read("batch_size", ledger.batch_size)) || (err = reader.read("seed", seed)) ||
      (err = reader.read("shuffle", ledger.shuffle)) || (err = reader.read("shard_mode", mode)) ||
      (err = reader.read("max_epochs", ledger.max_epochs)) ||
      (err = reader.read("max_window", out.coordinator.max_window)) ||
      (err = reader.read("reattach_timeout", out.coordinator.reattach_timeout)) ||
      (err = reader.read("commit_interval", out.coordinator.commit_interval)))
    return err;
  if (shards < 1 || shards > 100000)
    return invalid(reader, "shards", "expected 1 to 100000 shard files");
  out.cache.shards = static_cast<uint32_t>(shards);
  if (seed < 0)
    return invalid(reader, "seed", "expected a non-negative seed");
  ledger.seed = static_cast<uint64_t>(seed);
  auto parsed = parse_shard_mode(mode);
  if (!parsed)
    return invalid(reader, "shard_mode", "expected contiguous or strided");
  ledger.mode = *parsed;
  if (ledger.batch_size == 0)
    return invalid(reader, "batch_size", "expected a positive batch size");
  if (out.coordinator.max_window == 0)
    return invalid(reader, "max_window", "expected a positive window");
  return reader.finish();
}

} // namespace dmlp::ingest
