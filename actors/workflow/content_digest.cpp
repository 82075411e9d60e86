#include "actors/workflow/content_digest.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <openssl/evp.h>

#include "messages/workflow.hpp"

namespace dmlp::workflow {

namespace {

std::string hex(const unsigned char* data, unsigned int size) {
  static const char* digits = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

/// Feeds chunks from `next` into one SHA-256 context.
template <class Feed> std::string sha256(Feed feed) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  feed([ctx](const char* data, size_t n) { EVP_DigestUpdate(ctx, data, n); });
  EVP_DigestFinal_ex(ctx, md, &size);
  EVP_MD_CTX_free(ctx);
  return hex(md, size);
}

} // namespace

std::string digest_of(const std::string& bytes) {
  return sha256([&](auto update) { update(bytes.data(), bytes.size()); });
}

caf::expected<std::string> digest_of_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return caf::make_error(step_errc::data_missing,
                           path + ": cannot read: " + std::strerror(errno));
  return sha256([&](auto update) {
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
      update(buffer, static_cast<size_t>(in.gcount()));
  });
}

} // namespace dmlp::workflow
