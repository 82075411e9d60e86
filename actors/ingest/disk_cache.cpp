#include "actors/ingest/disk_cache.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "actors/ingest/digest.hpp"
#include "actors/ingest/shard_dataset.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::ingest {

namespace {

std::string env(const char* name) {
  auto value = std::getenv(name);
  return value ? value : "";
}

std::string shard_name(const std::string& split, uint32_t index, uint32_t count) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s-%05u-of-%05u.shard", split.c_str(), index, count);
  return buf;
}

// Samples [first, first + count) of `all`.
sample_set slice(const sample_set& all, uint64_t first, uint64_t count) {
  sample_set out;
  out.count = count;
  out.height = all.height;
  out.width = all.width;
  out.channels = all.channels;
  auto size = all.sample_size();
  out.pixels.assign(all.pixels.begin() + static_cast<std::ptrdiff_t>(first * size),
                    all.pixels.begin() + static_cast<std::ptrdiff_t>((first + count) * size));
  out.labels.assign(all.labels.begin() + static_cast<std::ptrdiff_t>(first),
                    all.labels.begin() + static_cast<std::ptrdiff_t>(first + count));
  return out;
}

} // namespace

std::string to_string(cache_outcome outcome) {
  switch (outcome) {
    case cache_outcome::miss:
      return "miss";
    case cache_outcome::hit:
      return "hit";
    case cache_outcome::rebuilt:
      return "rebuilt";
  }
  return "unknown";
}

std::string default_cache_dir() {
  if (auto home = env("DMLP_HOME"); !home.empty())
    return home + "/cache/ingest";
  if (auto xdg = env("XDG_CACHE_HOME"); !xdg.empty())
    return xdg + "/dmlp/ingest";
  if (auto home = env("HOME"); !home.empty())
    return home + "/.cache/dmlp/ingest";
  return ".dmlp-cache/ingest";
}

disk_cache::disk_cache(cache_options options) : options_(std::move(options)) {
  if (options_.directory.empty())
    options_.directory = default_cache_dir();
}

std::string disk_cache::entry_dir(const std::string& key) const {
  return (std::filesystem::path(options_.directory) / key).string();
}

caf::expected<std::string> disk_cache::key_of(const dataset& source,
                                              const preprocessing& transform) const {
  auto digest = source.content_digest();
  if (!digest)
    return digest.error();
  sha256 hasher;
  hasher.update_field("dmlp-ingest-cache/" + std::to_string(cache_format_version));
  hasher.update_field(source.name());
  hasher.update_field(*digest);
  hasher.update_field(transform.canonical());
  hasher.update_field("shards=" + std::to_string(options_.shards));
  return hasher.hex();
}

caf::error disk_cache::write_entry(const std::string& key, const dataset& source,
                                   const preprocessing& transform,
                                   const dataset_content& content) const {
  auto dir = entry_dir(key);
  if (auto err = runtime::make_directories(dir))
    return caf::make_error(ingest_errc::io_failure, dir + ": " + describe(err));
  cache_manifest manifest;
  manifest.cache_key = key;
  manifest.dataset = source.name();
  manifest.transform = transform;
  manifest.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  for (auto [name, samples] : {std::pair{"train", &content.train}, {"test", &content.test}}) {
    manifest_split split;
    split.name = name;
    split.samples = samples->count;
    auto count = static_cast<uint32_t>(std::min<uint64_t>(options_.shards, samples->count));
    count = std::max<uint32_t>(count, 1);
    for (uint32_t i = 0; i < count; ++i) {
      cache_shard shard;
      shard.cache_key = key;
      shard.split = name;
      shard.index = i;
      shard.count = count;
      shard.first_sample = samples->count * i / count;
      auto end = samples->count * (i + 1) / count;
      shard.samples = slice(*samples, shard.first_sample, end - shard.first_sample);
      auto file = shard_name(name, i, count);
      auto path = (std::filesystem::path(dir) / file).string();
      if (auto err = runtime::write_file_atomic(path, encode_shard_file(shard)))
        return caf::make_error(ingest_errc::io_failure, path + ": " + describe(err));
      split.files.push_back(file);
    }
    manifest.splits.push_back(std::move(split));
  }
  auto path = (std::filesystem::path(dir) / manifest_file_name).string();
  if (auto err = runtime::write_file_atomic(path, encode_manifest_file(manifest)))
    return caf::make_error(ingest_errc::io_failure, path + ": " + describe(err));
  return caf::none;
}

caf::expected<cache_result> disk_cache::load(const dataset& source,
                                             const preprocessing& transform) const {
  if (options_.shards == 0)
    return caf::make_error(ingest_errc::invalid_option, "the cache needs at least one shard");
  auto key = key_of(source, transform);
  if (!key)
    return key.error();
  cache_result result;
  result.key = *key;
  result.entry_dir = entry_dir(*key);
  auto manifest_path = (std::filesystem::path(result.entry_dir) / manifest_file_name).string();
  std::error_code ec;
  if (std::filesystem::exists(manifest_path, ec)) {
    shard_dataset entry{result.entry_dir};
    auto manifest = entry.manifest();
    caf::expected<dataset_content> content = caf::make_error(ingest_errc::cache_corrupt);
    if (!manifest)
      content = manifest.error();
    else if (manifest->cache_key != *key)
      content = caf::make_error(ingest_errc::cache_corrupt,
                                manifest_path + ": manifest names key " + manifest->cache_key);
    else
      content = entry.load(transform);
    if (content) {
      result.outcome = cache_outcome::hit;
      result.content = std::make_shared<const dataset_content>(std::move(*content));
      return result;
    }
    result.outcome = cache_outcome::rebuilt;
    result.note = describe(content.error());
  }
  auto content = source.load(transform);
  if (!content)
    return content.error();
  if (auto err = write_entry(*key, source, transform, *content))
    return err;
  result.content = std::make_shared<const dataset_content>(std::move(*content));
  return result;
}

} // namespace dmlp::ingest
