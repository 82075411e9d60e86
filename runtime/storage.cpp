#include "runtime/storage.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <unistd.h>

#include "runtime/errors.hpp"

namespace dmlp::runtime {

namespace {

caf::error io_error(const std::string& what, const std::string& path) {
  return caf::make_error(runtime_errc::io_failure, what + " " + path + ": " + std::strerror(errno));
}

} // namespace

caf::expected<std::vector<uint8_t>> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_error("cannot open", path);
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = io_error("cannot read", path);
      ::close(fd);
      return err;
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  ::close(fd);
  return bytes;
}

caf::error write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::path target{path};
  auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path{"."};
  std::random_device entropy;
  auto temp =
      (dir / ("." + target.filename().string() + ".tmp" + std::to_string(entropy()))).string();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("cannot create", temp);
  size_t written = 0;
  while (written < bytes.size()) {
    auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = io_error("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return err;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = io_error("cannot fsync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return err;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto err = io_error("cannot rename over", path);
    ::unlink(temp.c_str());
    return err;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return caf::none;
}

caf::error make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return caf::make_error(runtime_errc::io_failure,
                           "cannot create directory " + path + ": " + ec.message());
  return caf::none;
}

} // namespace dmlp::runtime
