#include "actors/ingest/shard_policy.hpp"

#include <numeric>

#include "messages/ingest_errors.hpp"

namespace dmlp::ingest {

namespace {

// splitmix64: a tiny generator with a fixed, documented output sequence.
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) by rejection, so no value is favoured.
uint64_t uniform(uint64_t& state, uint64_t bound) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    auto x = splitmix(state);
    if (x < limit)
      return x % bound;
  }
}

} // namespace

std::string to_string(shard_mode mode) {
  return mode == shard_mode::strided ? "strided" : "contiguous";
}

caf::expected<shard_mode> parse_shard_mode(const std::string& text) {
  if (text == "contiguous")
    return shard_mode::contiguous;
  if (text == "strided")
    return shard_mode::strided;
  return caf::make_error(ingest_errc::invalid_option,
                         "shard mode '" + text + "' is neither contiguous nor strided");
}

std::vector<std::vector<uint64_t>> index_shard_policy::split(const std::vector<uint64_t>& items,
                                                             size_t parts) const {
  std::vector<std::vector<uint64_t>> out(parts);
  if (parts == 0)
    return out;
  auto n = items.size();
  if (mode_ == shard_mode::strided) {
    for (size_t i = 0; i < n; ++i)
      out[i % parts].push_back(items[i]);
    return out;
  }
  for (size_t k = 0; k < parts; ++k) {
    auto first = n * k / parts;
    auto last = n * (k + 1) / parts;
    out[k].assign(items.begin() + static_cast<std::ptrdiff_t>(first),
                  items.begin() + static_cast<std::ptrdiff_t>(last));
  }
  return out;
}

std::vector<uint64_t> index_shard_policy::shard_of(uint64_t n, size_t shard, size_t parts) const {
  std::vector<uint64_t> out;
  if (parts == 0 || shard >= parts)
    return out;
  if (mode_ == shard_mode::strided) {
    for (uint64_t i = shard; i < n; i += parts)
      out.push_back(i);
    return out;
  }
  for (uint64_t i = n * shard / parts; i < n * (shard + 1) / parts; ++i)
    out.push_back(i);
  return out;
}

caf::expected<std::vector<std::vector<std::string>>>
file_shard_policy::split(const std::vector<std::string>& files, size_t parts) const {
  if (parts == 0 || files.size() < parts)
    return caf::make_error(ingest_errc::unshardable, std::to_string(files.size()) +
                                                         " files cannot be split among " +
                                                         std::to_string(parts) + " consumers");
  std::vector<std::vector<std::string>> out(parts);
  for (size_t i = 0; i < files.size(); ++i)
    out[i % parts].push_back(files[i]);
  return out;
}

std::vector<uint64_t> epoch_permutation(uint64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), uint64_t{0});
  uint64_t state = seed;
  state = splitmix(state) ^ (epoch * 0xD1B54A32D192ED03ull);
  for (uint64_t i = n; i > 1; --i)
    std::swap(order[i - 1], order[uniform(state, i)]);
  return order;
}

} // namespace dmlp::ingest
