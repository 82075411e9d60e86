#include "actors/serving/rate_limiter.hpp"

#include <vector>

#include "actors/serving/errors.hpp"
#include "messages/errors.hpp"
#include "runtime/config.hpp"

namespace dmlp::serving {

caf::expected<rate_limit_options> read_tokens_file(const std::string& path) {
  auto fail = [&](const caf::error& err) {
    return caf::make_error(serving_errc::bad_tokens_file, describe(err));
  };
  auto reader = runtime::config_reader::from_file(path);
  if (!reader)
    return fail(reader.error());
  rate_limit_options out;
  std::vector<std::string> tokens;
  if (auto err = reader->read("anonymous_concurrency", out.anonymous_concurrency))
    return fail(err);
  if (auto err = reader->read("authenticated_concurrency", out.authenticated_concurrency))
    return fail(err);
  if (auto err = reader->require("tokens", tokens))
    return fail(err);
  if (auto err = reader->finish())
    return fail(err);
  for (auto& t : tokens) {
    if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
      return caf::make_error(serving_errc::bad_tokens_file,
                             path + ": tokens must be non-empty and contain no whitespace");
    out.tokens.insert(t);
  }
  return out;
}

std::string to_string(client_class c) {
  return c == client_class::anonymous ? "anonymous" : "authenticated";
}

rate_limiter::permit::~permit() {
  owner_->release(class_);
}

rate_limiter::rate_limiter(rate_limit_options options) : options_(std::move(options)) {}

rate_limiter::verdict rate_limiter::classify(const std::string& authorization) const {
  if (authorization.empty())
    return {};
  const std::string prefix = "Bearer ";
  if (authorization.compare(0, prefix.size(), prefix) != 0)
    return {false, client_class::anonymous};
  auto token = authorization.substr(prefix.size());
  if (options_.tokens.count(token) == 0)
    return {false, client_class::anonymous};
  return {true, client_class::authenticated};
}

uint32_t rate_limiter::limit(client_class c) const {
  return c == client_class::anonymous ? options_.anonymous_concurrency
                                      : options_.authenticated_concurrency;
}

std::unique_ptr<rate_limiter::permit> rate_limiter::try_acquire(client_class c) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& used = in_use_[static_cast<int>(c)];
  auto max = limit(c);
  if (max != 0 && used >= max)
    return nullptr;
  ++used;
  return std::make_unique<permit>(this, c);
}

uint32_t rate_limiter::in_use(client_class c) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return in_use_[static_cast<int>(c)];
}

void rate_limiter::release(client_class c) {
  std::lock_guard<std::mutex> guard{mtx_};
  --in_use_[static_cast<int>(c)];
}

} // namespace dmlp::serving
