// Load-balancing policies of the router, as plain classes (no actor inside): given the
// replicas that may take a request (ready, holding the wanted version) and their outstanding
// request counts, pick one.
//   round_robin        cycles through the candidates;
//   least_outstanding  the candidate with the fewest requests in flight (ties rotate);
//   consistent_hash    the owner of the request's key on a consistent_hash_ring of the
//                      candidates' ids (requests without a key: least_outstanding).
// Deterministic; not thread-safe (the router owns its policy).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/serving/consistent_hash_ring.hpp"

namespace dmlp::serving {

/// The names of the policies.
enum class balancing_kind : uint8_t { round_robin, least_outstanding, consistent_hash };

/// "round_robin", "least_outstanding" or "consistent_hash".
std::string to_string(balancing_kind kind);

/// Parses a policy name; serving_errc::bad_option otherwise.
caf::expected<balancing_kind> parse_balancing_kind(const std::string& name);

/// What the policy sees of one candidate replica.
struct replica_view {
  /// The replica's id in its pool.
  std::string id;
  /// Requests sent to it and not yet answered.
  uint32_t outstanding = 0;
};

/// Picks a replica for each request.
class balancing_policy {
public:
  virtual ~balancing_policy() = default;

  /// Index into `candidates` of the chosen replica; empty when `candidates` is empty.
  virtual std::optional<size_t> pick(const std::vector<replica_view>& candidates,
                                     const std::string& key) = 0;
};

/// Cycles through the candidates.
class round_robin_policy : public balancing_policy {
public:
  std::optional<size_t> pick(const std::vector<replica_view>& candidates,
                             const std::string& key) override;

private:
  uint64_t next_ = 0;
};

/// Fewest outstanding requests; ties go to the candidate after the last one picked.
class least_outstanding_policy : public balancing_policy {
public:
  std::optional<size_t> pick(const std::vector<replica_view>& candidates,
                             const std::string& key) override;

private:
  uint64_t rotation_ = 0;
};

/// The key's owner on a ring of the candidates; keyless requests go least-outstanding.
class consistent_hash_policy : public balancing_policy {
public:
  std::optional<size_t> pick(const std::vector<replica_view>& candidates,
                             const std::string& key) override;

private:
  consistent_hash_ring ring_;
  least_outstanding_policy fallback_;
};

/// A new policy of `kind`.
std::unique_ptr<balancing_policy> make_balancing_policy(balancing_kind kind);

} // namespace dmlp::serving
