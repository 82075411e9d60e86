#include "tests/support/shell.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

#include <sys/wait.h>

namespace dmlp::testing {

shell_result run_shell(const std::string& command, bool merge_stderr) {
  shell_result r;
  auto pipe = ::popen((merge_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (pipe == nullptr)
    return r;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.out.append(buffer.data(), n);
  auto status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

nlohmann::json last_json_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  if (end == std::string::npos)
    return nlohmann::json::value_t::discarded;
  auto start = out.rfind('\n', end);
  auto line = out.substr(start == std::string::npos ? 0 : start + 1,
                         start == std::string::npos ? end + 1 : end - start);
  return nlohmann::json::parse(line, nullptr, false);
}

std::string build_binary(const std::string& name) {
  auto* dir = std::getenv("DMLP_BIN_DIR");
  return std::string{dir ? dir : "build/bin"} + "/" + name;
}

} // namespace dmlp::testing
