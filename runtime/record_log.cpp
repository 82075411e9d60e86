#include "runtime/record_log.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "messages/errors.hpp"
#include "runtime/errors.hpp"
#include "runtime/storage.hpp"

namespace dmlp::runtime {

namespace {

caf::error io_error(const std::string& what, const std::string& path) {
  return caf::make_error(runtime_errc::io_failure, what + " " + path + ": " + std::strerror(errno));
}

} // namespace

caf::expected<record_log> record_log::open(std::string path, file_magic magic, uint32_t version) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("cannot open", path);
  return record_log{std::move(path), magic, version, fd};
}

record_log::record_log(std::string path, file_magic magic, uint32_t version, int fd)
    : path_(std::move(path)), magic_(magic), version_(version), fd_(fd) {}

record_log::record_log(record_log&& other) noexcept
    : path_(std::move(other.path_)), magic_(other.magic_), version_(other.version_),
      fd_(std::exchange(other.fd_, -1)) {}

record_log& record_log::operator=(record_log&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    path_ = std::move(other.path_);
    magic_ = other.magic_;
    version_ = other.version_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

record_log::~record_log() {
  if (fd_ >= 0)
    ::close(fd_);
}

caf::error record_log::append(const std::vector<uint8_t>& body) {
  auto bytes = frame_checked(magic_, version_, body);
  size_t written = 0;
  while (written < bytes.size()) {
    auto n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return io_error("cannot append to", path_);
    written += static_cast<size_t>(n);
  }
  return {};
}

caf::error record_log::clear() {
  if (::ftruncate(fd_, 0) != 0)
    return io_error("cannot truncate", path_);
  return {};
}

caf::expected<log_records> read_records(const std::string& path, const file_magic& magic,
                                        uint32_t version) {
  log_records out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return out;
  auto file = read_file(path);
  if (!file)
    return file.error();
  size_t at = 0;
  while (at < file->size()) {
    auto left = file->size() - at;
    if (left < checked_file_header_size) {
      out.damage = "a torn record header at byte " + std::to_string(at);
      break;
    }
    auto length = checked_body_length(file->data() + at);
    if (length > left - checked_file_header_size) {
      out.damage = "a torn record at byte " + std::to_string(at) + " (" + std::to_string(left) +
                   " of " + std::to_string(checked_file_header_size + length) + " bytes)";
      break;
    }
    auto end = at + checked_file_header_size + static_cast<size_t>(length);
    std::vector<uint8_t> framed(file->begin() + static_cast<std::ptrdiff_t>(at),
                                file->begin() + static_cast<std::ptrdiff_t>(end));
    auto body = unframe_checked(magic, version, framed);
    if (!body) {
      out.damage = "a bad record at byte " + std::to_string(at) + ": " + describe(body.error());
      break;
    }
    out.bodies.push_back(std::move(*body));
    at = end;
  }
  return out;
}

} // namespace dmlp::runtime
