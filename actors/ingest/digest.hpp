// SHA-256 digests for ingest's content keys (the cache key digests the source files and the
// preprocessing record). An incremental hasher over OpenSSL's EVP interface; one instance
// belongs to one caller and is not thread-safe, the free functions are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dmlp::ingest {

/// Incremental SHA-256.
class sha256 {
public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  /// Feeds `size` bytes.
  void update(const void* data, size_t size);

  /// Feeds a string and a separator, so that ("ab","c") and ("a","bc") differ.
  void update_field(const std::string& text);

  /// Finishes and returns the digest as 64 lower-case hex characters.
  std::string hex();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// SHA-256 of `text` in hex.
std::string sha256_hex(const std::string& text);

} // namespace dmlp::ingest
