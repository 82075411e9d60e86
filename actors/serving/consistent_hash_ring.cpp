#include "actors/serving/consistent_hash_ring.hpp"

#include <algorithm>

namespace dmlp::serving {

consistent_hash_ring::consistent_hash_ring(uint32_t virtual_nodes)
    : virtual_nodes_(std::max<uint32_t>(1, virtual_nodes)) {}

uint64_t consistent_hash_ring::hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // FNV-1a mixes the last bytes poorly; finish with a 64-bit avalanche (splitmix64).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

void consistent_hash_ring::assign(const std::vector<std::string>& members) {
  members_ = members;
  points_.clear();
  for (auto& m : members_)
    for (uint32_t i = 0; i < virtual_nodes_; ++i)
      points_.emplace(hash(m + "#" + std::to_string(i)), m);
}

std::optional<std::string> consistent_hash_ring::owner(const std::string& key) const {
  if (points_.empty())
    return std::nullopt;
  auto i = points_.lower_bound(hash(key));
  return i == points_.end() ? points_.begin()->second : i->second;
}

} // namespace dmlp::serving
