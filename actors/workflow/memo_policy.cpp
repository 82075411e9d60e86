#include "actors/workflow/memo_policy.hpp"

#include <algorithm>
#include <filesystem>

#include "actors/workflow/content_digest.hpp"

namespace dmlp::workflow {

std::string memo_key(const std::string& step_type, uint32_t version,
                     const nlohmann::json& parameters, const std::vector<md_output>& inputs) {
  std::vector<std::pair<std::string, std::string>> digests;
  for (const auto& in : inputs)
    digests.emplace_back(in.name,
                         in.artifact.digest.empty() ? in.artifact.uri : in.artifact.digest);
  std::sort(digests.begin(), digests.end());
  nlohmann::json doc = {
      {"type", step_type}, {"version", version}, {"parameters", parameters}, {"inputs", digests}};
  return digest_of(doc.dump());
}

std::string to_string(memo_outcome outcome) {
  switch (outcome) {
    case memo_outcome::hit:
      return "hit";
    case memo_outcome::miss:
      return "miss";
    case memo_outcome::expired:
      return "expired";
    case memo_outcome::content_changed:
      return "content_changed";
  }
  return "unknown";
}

memo_outcome decide_memo(const md_memo_lookup& lookup, int64_t now_ms,
                         std::chrono::milliseconds max_age, const std::string& content_token) {
  if (!lookup.found)
    return memo_outcome::miss;
  if (max_age.count() > 0 && now_ms - lookup.entry.created_ms > max_age.count())
    return memo_outcome::expired;
  if (lookup.entry.content_token != content_token)
    return memo_outcome::content_changed;
  return memo_outcome::hit;
}

int64_t memo_gc_cutoff(int64_t now_ms, std::chrono::milliseconds horizon) {
  return now_ms - horizon.count();
}

size_t remove_artifact_files(const std::vector<std::string>& uris,
                             const std::string& artifact_root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto root = fs::weakly_canonical(artifact_root, ec);
  if (ec || artifact_root.empty())
    return 0;
  size_t removed = 0;
  for (const auto& uri : uris) {
    const std::string scheme = "file://";
    if (uri.compare(0, scheme.size(), scheme) != 0)
      continue;
    auto path = fs::weakly_canonical(uri.substr(scheme.size()), ec);
    if (ec)
      continue;
    auto rel = path.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..")
      continue;
    if (fs::remove(path, ec) && !ec)
      ++removed;
  }
  return removed;
}

} // namespace dmlp::workflow
