#include "actors/ingest/digest.hpp"

#include <openssl/evp.h>

namespace dmlp::ingest {

struct sha256::impl {
  EVP_MD_CTX* ctx = nullptr;
};

sha256::sha256() : impl_(std::make_unique<impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}

sha256::~sha256() {
  EVP_MD_CTX_free(impl_->ctx);
}

void sha256::update(const void* data, size_t size) {
  EVP_DigestUpdate(impl_->ctx, data, size);
}

void sha256::update_field(const std::string& text) {
  auto length = static_cast<uint64_t>(text.size());
  update(&length, sizeof(length));
  update(text.data(), text.size());
}

std::string sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(impl_->ctx, digest, &size);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(digits[digest[i] >> 4]);
    out.push_back(digits[digest[i] & 0xF]);
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  sha256 hasher;
  hasher.update(text.data(), text.size());
  return hasher.hex();
}

} // namespace dmlp::ingest
