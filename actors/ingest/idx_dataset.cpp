#include "actors/ingest/idx_dataset.hpp"

#include <filesystem>

#include "actors/ingest/detail/file_reader.hpp"
#include "actors/ingest/digest.hpp"
#include "actors/ingest/idx_reader.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

namespace {

constexpr uint32_t idx_classes = 10;

const char* stems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

caf::expected<sample_set> to_samples(const caf::expected<idx_split>& split,
                                     const preprocessing& transform, const std::string& path) {
  if (!split)
    return split.error();
  if (split->height != transform.height || split->width != transform.width ||
      transform.channels != 1)
    return caf::make_error(ingest_errc::bad_dimensions,
                           path + ": images are " + std::to_string(split->height) + "x" +
                               std::to_string(split->width) + "x1, preprocessing expects " +
                               std::to_string(transform.height) + "x" +
                               std::to_string(transform.width) + "x" +
                               std::to_string(transform.channels));
  sample_set out;
  out.count = split->count;
  out.height = split->height;
  out.width = split->width;
  out.channels = 1;
  out.pixels.resize(split->pixels.size());
  transform.apply(split->pixels.data(), split->pixels.size(), out.pixels.data());
  out.labels = split->labels;
  return out;
}

} // namespace

idx_dataset::idx_dataset(std::string name, std::string directory)
    : name_(std::move(name)), directory_(std::move(directory)) {}

std::string idx_dataset::name() const {
  return name_;
}

std::string idx_dataset::path_of(const std::string& stem) const {
  auto base = std::filesystem::path(directory_) / stem;
  auto gz = base.string() + ".gz";
  std::error_code ec;
  if (std::filesystem::exists(gz, ec) || !std::filesystem::exists(base, ec))
    return gz;
  return base.string();
}

std::vector<std::string> idx_dataset::files() const {
  std::vector<std::string> out;
  for (auto stem : stems)
    out.push_back(path_of(stem));
  return out;
}

caf::expected<std::string> idx_dataset::content_digest() const {
  sha256 hasher;
  hasher.update_field(name_);
  for (auto& path : files()) {
    hasher.update_field(std::filesystem::path(path).filename().string());
    if (auto err = detail::digest_file(path, hasher))
      return err;
  }
  return hasher.hex();
}

caf::expected<dataset_content> idx_dataset::load(const preprocessing& transform) const {
  auto paths = files();
  dataset_content content;
  auto train = to_samples(read_idx_split(paths[0], paths[1], idx_classes), transform, paths[0]);
  if (!train)
    return train.error();
  auto test = to_samples(read_idx_split(paths[2], paths[3], idx_classes), transform, paths[2]);
  if (!test)
    return test.error();
  content.train = std::move(*train);
  content.test = std::move(*test);
  return content;
}

} // namespace dmlp::ingest
