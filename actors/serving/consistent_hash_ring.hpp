// A consistent-hash ring: members (replica or shard ids) each own `virtual_nodes` points on a
// 64-bit ring; a key belongs to the first point at or after its hash. Adding or removing one
// member moves only the keys that member gains or loses (~1/N of them). Used by the router's
// consistent-hash policy and by the shard router. Hashing is FNV-1a 64 (stable across runs and
// machines). Plain value; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dmlp::serving {

/// Maps keys to members.
class consistent_hash_ring {
public:
  /// A ring with `virtual_nodes` points per member. Default: 64.
  explicit consistent_hash_ring(uint32_t virtual_nodes = 64);

  /// Replaces the members.
  void assign(const std::vector<std::string>& members);

  /// The member owning `key`; empty when the ring has no members.
  std::optional<std::string> owner(const std::string& key) const;

  /// The current members, in the order given to assign().
  const std::vector<std::string>& members() const { return members_; }

  /// The stable 64-bit hash used for keys and points.
  static uint64_t hash(const std::string& text);

private:
  uint32_t virtual_nodes_;
  std::vector<std::string> members_;
  std::map<uint64_t, std::string> points_;
};

} // namespace dmlp::serving
