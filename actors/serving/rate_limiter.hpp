// Rate limiting per client class, as a plain class: a request is anonymous unless it carries
// "Authorization: Bearer <token>" with a token from the tokens file; each class has a limit of
// concurrent requests (the book's example: 2 anonymous, 3 authenticated). try_acquire() either
// admits a request — the returned permit releases its slot when destroyed — or refuses it,
// and the HTTP front end answers 429. A bearer token that is not in the file is refused (401).
// Thread-safe (HTTP worker threads share one limiter; one mutex).
//
// Tokens file (YAML, read strictly with runtime/config.hpp):
//   anonymous_concurrency: 2        # 0 = unlimited
//   authenticated_concurrency: 3    # 0 = unlimited
//   tokens: [alice-secret, bob-secret]
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <caf/expected.hpp>

namespace dmlp::serving {

/// Limits per class and the accepted tokens (YAML: the tokens file).
struct rate_limit_options {
  /// Concurrent requests of anonymous clients; 0 = unlimited. Default: 0.
  uint32_t anonymous_concurrency = 0;
  /// Concurrent requests of authenticated clients; 0 = unlimited. Default: 0.
  uint32_t authenticated_concurrency = 0;
  /// Accepted bearer tokens. Default: none.
  std::set<std::string> tokens;
};

/// Reads a tokens file; serving_errc::bad_tokens_file names the file and key on error.
caf::expected<rate_limit_options> read_tokens_file(const std::string& path);

/// The two client classes.
enum class client_class : uint8_t { anonymous, authenticated };

/// "anonymous" or "authenticated".
std::string to_string(client_class c);

/// Admits or refuses requests per client class.
class rate_limiter {
public:
  /// Releases its slot when destroyed.
  class permit {
  public:
    permit(rate_limiter* owner, client_class c) : owner_(owner), class_(c) {}
    ~permit();
    permit(const permit&) = delete;
    permit& operator=(const permit&) = delete;

  private:
    rate_limiter* owner_;
    client_class class_;
  };

  /// The outcome of classifying an Authorization header value.
  struct verdict {
    /// Whether the credentials are acceptable (false: unknown bearer token → 401).
    bool authenticated_ok = true;
    /// The class the request belongs to.
    client_class cls = client_class::anonymous;
  };

  explicit rate_limiter(rate_limit_options options);

  /// Classifies an Authorization header value ("" when absent).
  verdict classify(const std::string& authorization) const;

  /// A permit, or nothing when the class is at its limit.
  std::unique_ptr<permit> try_acquire(client_class c);

  /// The limit of `c` (0 = unlimited).
  uint32_t limit(client_class c) const;

  /// Requests of `c` in progress.
  uint32_t in_use(client_class c) const;

private:
  void release(client_class c);

  rate_limit_options options_;
  mutable std::mutex mtx_;
  uint32_t in_use_[2] = {0, 0};
};

} // namespace dmlp::serving
