// Test helpers of the ingest suites: a temporary directory that removes itself, an IDX writer
// (optionally gzip-compressed) and a tiny MNIST-layout dataset with a known label pattern.
// Used by tests/unit/ingest and tests/actor/ingest only. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <zlib.h>

namespace dmlp::ingest::fixture {

/// A fresh directory under the system temp directory, removed with its content on destruction.
class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("dmlp-ingest-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// The directory.
  std::string str() const { return path_.string(); }
  /// A path inside it.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// Gzip-compresses `bytes`.
inline std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes) {
  z_stream s{};
  deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&s, bytes.size()) + 64);
  s.next_in = const_cast<Bytef*>(bytes.data());
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

/// IDX bytes: magic 0x0000 08 <rank>, big-endian dimensions, then `data`.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims,
                                      const std::vector<uint8_t>& data, uint8_t type = 0x08) {
  std::vector<uint8_t> out{0, 0, type, static_cast<uint8_t>(dims.size())};
  for (auto d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// Writes `bytes` to `path`.
inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

/// Writes one split of a tiny dataset: `n` 28×28 images whose pixels are (i + p) mod 256 and
/// labels i mod 10.
inline void write_split(const std::string& dir, const std::string& prefix, uint32_t n,
                        uint8_t salt = 0) {
  std::vector<uint8_t> pixels(size_t{n} * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>(i / 784 + i % 784 + salt);
  std::vector<uint8_t> labels(n);
  for (uint32_t i = 0; i < n; ++i)
    labels[i] = static_cast<uint8_t>(i % 10);
  write_bytes(dir + "/" + prefix + "-images-idx3-ubyte.gz", gzip(idx_bytes({n, 28, 28}, pixels)));
  write_bytes(dir + "/" + prefix + "-labels-idx1-ubyte.gz", gzip(idx_bytes({n}, labels)));
}

/// A tiny MNIST-layout dataset in `dir`: `train` and `test` samples.
inline void write_tiny_dataset(const std::string& dir, uint32_t train = 200, uint32_t test = 50,
                               uint8_t salt = 0) {
  write_split(dir, "train", train, salt);
  write_split(dir, "t10k", test, salt);
}

} // namespace dmlp::ingest::fixture
