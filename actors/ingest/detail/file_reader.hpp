// Internal to actors/ingest: reading large files with one exactly sized allocation (runtime's
// read_file grows its buffer as it goes, which costs several copies and page-fault rounds for
// the ~50 MB cache shards), and feeding a file to a digest in fixed-size pieces without holding
// it in memory. Errors are ingest_errc::file_unreadable naming the path. Thread-safe.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/ingest/digest.hpp"
#include "messages/ingest_errors.hpp"

namespace dmlp::ingest::detail {

/// Reads all of `path` into `bytes`, reusing its capacity (one buffer sized from fstat).
inline caf::error read_whole_file(const std::string& path, std::vector<uint8_t>& bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return caf::make_error(ingest_errc::file_unreadable,
                           path + ": cannot open: " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0)
    bytes.reserve(static_cast<size_t>(info.st_size) + 1); // + 1: room to see the end
  bytes.resize(std::max<size_t>(bytes.capacity(), 1));
  size_t used = 0;
  for (;;) {
    if (used == bytes.size())
      bytes.resize(bytes.size() + (1 << 16));
    auto n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto reason = std::string{std::strerror(errno)};
      ::close(fd);
      return caf::make_error(ingest_errc::file_unreadable, path + ": cannot read: " + reason);
    }
    if (n == 0)
      break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(used);
  return caf::none;
}

/// Reads all of `path` into a new buffer.
inline caf::expected<std::vector<uint8_t>> read_whole_file(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (auto err = read_whole_file(path, bytes))
    return err;
  return bytes;
}

/// Feeds the content of `path` to `hasher` in 1 MiB pieces.
inline caf::error digest_file(const std::string& path, sha256& hasher) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return caf::make_error(ingest_errc::file_unreadable, path + ": cannot read the file");
  std::vector<uint8_t> buffer(1 << 20);
  for (;;) {
    auto n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ::close(fd);
      return caf::make_error(ingest_errc::file_unreadable, path + ": cannot read the file");
    }
    if (n == 0)
      break;
    hasher.update(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return caf::none;
}

} // namespace dmlp::ingest::detail
