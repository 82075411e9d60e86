#include "actors/ingest/shard_dataset.hpp"

#include <filesystem>

#include "actors/ingest/detail/file_reader.hpp"
#include "actors/ingest/digest.hpp"
#include "messages/ingest_errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::ingest {

namespace {

std::string join(const std::string& directory, const std::string& name) {
  return (std::filesystem::path(directory) / name).string();
}

caf::error corrupt(const std::string& path, const std::string& what) {
  return caf::make_error(ingest_errc::cache_corrupt, path + ": " + what);
}

} // namespace

shard_dataset::shard_dataset(std::string directory) : directory_(std::move(directory)) {}

std::string shard_dataset::name() const {
  return "shards";
}

caf::expected<cache_manifest> shard_dataset::manifest() const {
  auto path = join(directory_, manifest_file_name);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return caf::make_error(ingest_errc::file_unreadable, path + ": no such file");
  auto bytes = runtime::read_file(path);
  if (!bytes)
    return caf::make_error(ingest_errc::file_unreadable, path + ": cannot read the file");
  return decode_manifest_file(*bytes, path);
}

std::vector<std::string> shard_dataset::files() const {
  std::vector<std::string> out;
  auto m = manifest();
  if (!m)
    return out;
  out.push_back(join(directory_, manifest_file_name));
  for (auto& split : m->splits)
    for (auto& file : split.files)
      out.push_back(join(directory_, file));
  return out;
}

caf::expected<std::string> shard_dataset::content_digest() const {
  auto path = join(directory_, manifest_file_name);
  auto bytes = runtime::read_file(path);
  if (!bytes)
    return caf::make_error(ingest_errc::file_unreadable, path + ": cannot read the file");
  sha256 hasher;
  hasher.update(bytes->data(), bytes->size());
  return hasher.hex();
}

caf::expected<sample_set>
shard_dataset::load_files(const cache_manifest& manifest, const std::string& split,
                          const std::vector<std::string>& file_names) const {
  sample_set out;
  for (auto& listed : manifest.splits)
    if (listed.name == split && file_names.size() == listed.files.size())
      out.labels.reserve(listed.samples);
  std::vector<uint8_t> bytes;
  for (auto& name : file_names) {
    auto path = join(directory_, name);
    if (auto err = detail::read_whole_file(path, bytes))
      return corrupt(path, "cannot read the shard file");
    if (out.count == 0 && !bytes.empty() && out.labels.capacity() > 0) {
      // Reserve the whole split once: shards are similar in size.
      auto estimate = bytes.size() * file_names.size();
      out.pixels.reserve(estimate / sizeof(float));
    }
    auto shard = decode_shard_file_into(bytes, path, out);
    if (!shard)
      return shard.error();
    if (shard->cache_key != manifest.cache_key || shard->split != split)
      return corrupt(path, "shard of key " + shard->cache_key + " split " + shard->split +
                               ", manifest expects key " + manifest.cache_key + " split " + split);
  }
  return out;
}

caf::expected<dataset_content> shard_dataset::load(const preprocessing& transform) const {
  auto m = manifest();
  if (!m)
    return m.error();
  if (m->transform.canonical() != transform.canonical())
    return caf::make_error(ingest_errc::invalid_option,
                           directory_ + ": shards were preprocessed as " +
                               m->transform.canonical() + ", not " + transform.canonical());
  dataset_content content;
  bool have_train = false;
  bool have_test = false;
  for (auto& split : m->splits) {
    auto samples = load_files(*m, split.name, split.files);
    if (!samples)
      return samples.error();
    if (samples->count != split.samples)
      return corrupt(join(directory_, manifest_file_name),
                     "split " + split.name + " lists " + std::to_string(split.samples) +
                         " samples, its shards hold " + std::to_string(samples->count));
    if (split.name == "train") {
      content.train = std::move(*samples);
      have_train = true;
    } else if (split.name == "test") {
      content.test = std::move(*samples);
      have_test = true;
    }
  }
  if (!have_train || !have_test)
    return corrupt(join(directory_, manifest_file_name), "a train or test split is missing");
  return content;
}

} // namespace dmlp::ingest
