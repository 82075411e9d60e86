#include "actors/ingest/cache_codec.hpp"

#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "actors/ingest/detail/capnp_body.hpp"
#include "ingest_cache.capnp.h"
#include "messages/checked_file.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

namespace {

const file_magic shard_magic = make_magic("DMLPSHRD");
const file_magic manifest_magic = make_magic("DMLPMANI");

caf::error corrupt(const std::string& path, const std::string& what) {
  return caf::make_error(ingest_errc::cache_corrupt, path + ": " + what);
}

// Keeps an ingest error (it already names the file); wraps anything else.
caf::error as_corrupt(const std::string& path, const caf::error& err) {
  if (err.category() == caf::atom("ingest"))
    return err;
  return corrupt(path, describe(err));
}

} // namespace

std::vector<uint8_t> encode_shard_file(const cache_shard& shard) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<IngestShard>();
  root.setCacheKey(shard.cache_key);
  root.setSplit(shard.split);
  root.setShardIndex(shard.index);
  root.setShardCount(shard.count);
  root.setFirstSample(shard.first_sample);
  auto& s = shard.samples;
  root.setSampleCount(s.count);
  root.setHeight(s.height);
  root.setWidth(s.width);
  root.setChannels(s.channels);
  auto pixels = root.initPixels(s.pixels.size() * sizeof(float));
  std::memcpy(pixels.begin(), s.pixels.data(), pixels.size());
  root.setLabels(kj::ArrayPtr<const kj::byte>(s.labels.data(), s.labels.size()));
  return frame_checked(shard_magic, cache_format_version, detail::flatten(message));
}

namespace {

// Decodes a shard; its pixels and labels go to `into` when given, else into the shard.
caf::expected<cache_shard> decode_shard(const std::vector<uint8_t>& file, const std::string& path,
                                        sample_set* into) {
  auto body = unframe_checked(shard_magic, cache_format_version, file);
  if (!body)
    return corrupt(path, describe(body.error()));
  cache_shard shard;
  auto parsed = detail::read_body(*body, [&](capnp::MessageReader& reader) -> caf::error {
    auto root = reader.getRoot<IngestShard>();
    shard.cache_key = root.getCacheKey();
    shard.split = root.getSplit();
    shard.index = root.getShardIndex();
    shard.count = root.getShardCount();
    shard.first_sample = root.getFirstSample();
    auto& s = shard.samples;
    s.count = root.getSampleCount();
    s.height = root.getHeight();
    s.width = root.getWidth();
    s.channels = root.getChannels();
    auto pixels = root.getPixels();
    auto labels = root.getLabels();
    if (shard.count == 0 || shard.index >= shard.count)
      return corrupt(path,
                     "shard " + std::to_string(shard.index) + " of " + std::to_string(shard.count));
    if (s.sample_size() == 0 || s.sample_size() > (1u << 24))
      return corrupt(path, "sample shape " + std::to_string(s.channels) + "x" +
                               std::to_string(s.height) + "x" + std::to_string(s.width));
    if (labels.size() != s.count || pixels.size() != s.count * s.sample_size() * sizeof(float))
      return corrupt(path, std::to_string(s.count) + " samples announced, data holds " +
                               std::to_string(labels.size()) + " labels and " +
                               std::to_string(pixels.size()) + " pixel bytes");
    auto& dest = into ? *into : s;
    if (into && into->count == 0) {
      into->height = s.height;
      into->width = s.width;
      into->channels = s.channels;
    } else if (into && (into->height != s.height || into->width != s.width ||
                        into->channels != s.channels)) {
      return corrupt(path, "sample shape differs from the split's other shards");
    }
    auto offset = dest.pixels.size();
    dest.pixels.resize(offset + s.count * s.sample_size());
    std::memcpy(dest.pixels.data() + offset, pixels.begin(), pixels.size());
    dest.labels.insert(dest.labels.end(), labels.begin(), labels.end());
    if (into)
      into->count += s.count;
    return caf::none;
  });
  if (parsed)
    return as_corrupt(path, parsed);
  return shard;
}

} // namespace

caf::expected<cache_shard> decode_shard_file(const std::vector<uint8_t>& file,
                                             const std::string& path) {
  return decode_shard(file, path, nullptr);
}

caf::expected<cache_shard> decode_shard_file_into(const std::vector<uint8_t>& file,
                                                  const std::string& path, sample_set& into) {
  return decode_shard(file, path, &into);
}

std::vector<uint8_t> encode_manifest_file(const cache_manifest& manifest) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<IngestManifest>();
  root.setCacheKey(manifest.cache_key);
  root.setDataset(manifest.dataset);
  root.setPreprocessing(manifest.transform.to_json());
  root.setCreatedNs(manifest.created_ns);
  auto splits = root.initSplits(static_cast<unsigned>(manifest.splits.size()));
  for (unsigned i = 0; i < manifest.splits.size(); ++i) {
    auto& in = manifest.splits[i];
    splits[i].setName(in.name);
    splits[i].setSamples(in.samples);
    auto files = splits[i].initShardFiles(static_cast<unsigned>(in.files.size()));
    for (unsigned j = 0; j < in.files.size(); ++j)
      files.set(j, in.files[j]);
  }
  return frame_checked(manifest_magic, cache_format_version, detail::flatten(message));
}

caf::expected<cache_manifest> decode_manifest_file(const std::vector<uint8_t>& file,
                                                   const std::string& path) {
  auto body = unframe_checked(manifest_magic, cache_format_version, file, uint64_t{1} << 24);
  if (!body)
    return corrupt(path, describe(body.error()));
  cache_manifest manifest;
  auto parsed = detail::read_body(*body, [&](capnp::MessageReader& reader) -> caf::error {
    auto root = reader.getRoot<IngestManifest>();
    manifest.cache_key = root.getCacheKey();
    manifest.dataset = root.getDataset();
    manifest.created_ns = root.getCreatedNs();
    auto transform = preprocessing::from_json(root.getPreprocessing());
    if (!transform)
      return corrupt(path, describe(transform.error()));
    manifest.transform = *transform;
    for (auto split : root.getSplits()) {
      manifest_split out;
      out.name = split.getName();
      out.samples = split.getSamples();
      for (auto name : split.getShardFiles()) {
        std::string file_name = name;
        if (file_name.empty() || file_name.find('/') != std::string::npos ||
            file_name.find("..") != std::string::npos)
          return corrupt(path, "shard file name '" + file_name + "' is not a plain name");
        out.files.push_back(std::move(file_name));
      }
      manifest.splits.push_back(std::move(out));
    }
    return caf::none;
  });
  if (parsed)
    return as_corrupt(path, parsed);
  return manifest;
}

} // namespace dmlp::ingest
