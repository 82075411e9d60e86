#include "bench/training/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace dmlp::bench {

child_process spawn_child(const std::vector<std::string>& args) {
  int down[2], up[2];
  if (::pipe(down) != 0 || ::pipe(up) != 0)
    throw std::runtime_error("pipe failed");
  auto pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(down[0], 0);
    ::dup2(up[1], 1);
    for (int fd : {down[0], down[1], up[0], up[1]})
      ::close(fd);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(down[0]);
  ::close(up[1]);
  // Later children must not inherit these ends: a child holding another's stdin open would keep
  // it from seeing end of input.
  ::fcntl(down[1], F_SETFD, FD_CLOEXEC);
  ::fcntl(up[0], F_SETFD, FD_CLOEXEC);
  return child_process{pid, down[1], up[0], {}};
}

std::string read_line(child_process& child, const std::string& who) {
  for (;;) {
    auto end = child.pending.find('\n');
    if (end != std::string::npos) {
      auto line = child.pending.substr(0, end);
      child.pending.erase(0, end + 1);
      return line;
    }
    pollfd fd{child.from, POLLIN, 0};
    if (::poll(&fd, 1, 120'000) <= 0)
      throw std::runtime_error(who + " is silent for 120 s");
    char buf[4096];
    auto n = ::read(child.from, buf, sizeof buf);
    if (n <= 0)
      throw std::runtime_error(who + " exited (its error is on stderr above)");
    child.pending.append(buf, static_cast<size_t>(n));
  }
}

std::string expect_line(child_process& child, const std::string& who, const std::string& prefix) {
  auto line = read_line(child, who);
  if (line.rfind(prefix, 0) != 0)
    throw std::runtime_error(who + " said '" + line + "', expected '" + prefix + "'");
  return line.substr(prefix.size());
}

void write_line(child_process& child, const std::string& line) {
  auto text = line + "\n";
  if (::write(child.to, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("a child closed its input");
}

void wait_child(child_process& child, const std::string& who) {
  int status = 0;
  ::close(child.to);
  child.to = -1;
  ::waitpid(child.pid, &status, 0);
  child.pid = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(who + " ended with status " + std::to_string(status));
}

void stop_children(std::vector<child_process>& children) {
  for (auto& c : children) {
    if (c.pid > 0) {
      ::kill(c.pid, SIGKILL);
      ::waitpid(c.pid, nullptr, 0);
    }
    c.pid = -1;
    for (int fd : {c.to, c.from})
      if (fd >= 0)
        ::close(fd);
    c.to = c.from = -1;
  }
}

} // namespace dmlp::bench
