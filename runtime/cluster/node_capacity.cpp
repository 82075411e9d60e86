#include "runtime/cluster/node_capacity.hpp"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace dmlp::runtime {

namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<uint64_t> parse_count(const std::string& text) {
  std::istringstream in{text};
  uint64_t value = 0;
  if (!(in >> value))
    return std::nullopt;
  return value;
}

// v1 reports "no limit" as INT64_MAX rounded down to a page; nothing real comes close.
constexpr uint64_t unlimited_threshold = uint64_t{1} << 62;

// One cgroup hierarchy of this process: where it is mounted and the process's path in it.
struct cgroup_dir {
  std::string mount;
  std::string path;
};

// The process's cgroup for `controller` ("" = the v2 unified hierarchy), from /proc/self/cgroup.
std::vector<cgroup_dir> cgroup_dirs(const std::string& root, const std::string& controller) {
  std::vector<cgroup_dir> dirs;
  auto text = read_text(root + "/proc/self/cgroup");
  if (!text)
    return dirs;
  std::istringstream lines{*text};
  for (std::string line; std::getline(lines, line);) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    auto controllers = line.substr(first + 1, second - first - 1);
    auto path = line.substr(second + 1);
    if (controller.empty()) {
      if (controllers.empty())
        dirs.push_back({root + "/sys/fs/cgroup", path});
      continue;
    }
    std::istringstream names{controllers};
    for (std::string name; std::getline(names, name, ',');)
      if (name == controller) {
        dirs.push_back({root + "/sys/fs/cgroup/" + controllers, path});
        if (controllers != controller)
          dirs.push_back({root + "/sys/fs/cgroup/" + controller, path});
      }
  }
  return dirs;
}

// Calls `visit` with every directory from the process's cgroup up to the hierarchy's root
// (limits of ancestors apply too; inside a container the path may not exist below the mount).
template <class Visit>
void for_each_cgroup_level(const std::vector<cgroup_dir>& dirs, Visit visit) {
  for (const auto& dir : dirs) {
    auto path = dir.path;
    while (true) {
      visit(dir.mount + (path == "/" ? "" : path));
      if (path.empty() || path == "/")
        break;
      auto slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
}

} // namespace

std::optional<uint64_t> parse_meminfo_total(const std::string& meminfo) {
  std::istringstream lines{meminfo};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MemTotal:", 0) != 0)
      continue;
    std::istringstream fields{line.substr(9)};
    uint64_t kib = 0;
    if (!(fields >> kib) || kib == 0)
      return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_memory_limit(const std::string& text) {
  auto bytes = parse_count(text);
  if (!bytes || *bytes == 0 || *bytes >= unlimited_threshold)
    return std::nullopt;
  return bytes;
}

std::optional<uint32_t> parse_cpu_quota(const std::string& text) {
  std::istringstream in{text};
  std::string quota_text;
  uint64_t period = 0;
  if (!(in >> quota_text >> period) || period == 0 || quota_text == "max" ||
      quota_text.front() == '-')
    return std::nullopt;
  auto quota = parse_count(quota_text);
  if (!quota || *quota == 0)
    return std::nullopt;
  return static_cast<uint32_t>(std::max<uint64_t>(1, (*quota + period - 1) / period));
}

uint32_t affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<uint32_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

node_capacity detect_node_capacity(const std::string& root, uint32_t cpus_allowed) {
  node_capacity result;
  std::optional<uint64_t> memory;
  if (auto meminfo = read_text(root + "/proc/meminfo"))
    memory = parse_meminfo_total(*meminfo);
  auto narrow_memory = [&](const std::optional<std::string>& text) {
    if (!text)
      return;
    if (auto limit = parse_memory_limit(*text); limit && (!memory || *limit < *memory))
      memory = limit;
  };
  for_each_cgroup_level(cgroup_dirs(root, ""), [&](const std::string& dir) {
    narrow_memory(read_text(dir + "/memory.max"));
  });
  for_each_cgroup_level(cgroup_dirs(root, "memory"), [&](const std::string& dir) {
    narrow_memory(read_text(dir + "/memory.limit_in_bytes"));
  });
  result.memory_mb = memory ? static_cast<uint32_t>(*memory / (1024 * 1024)) : 0;

  uint32_t cpus = std::max(1u, cpus_allowed);
  auto narrow_cpus = [&](const std::optional<std::string>& text) {
    if (!text)
      return;
    if (auto quota = parse_cpu_quota(*text))
      cpus = std::min(cpus, *quota);
  };
  for_each_cgroup_level(cgroup_dirs(root, ""),
                        [&](const std::string& dir) { narrow_cpus(read_text(dir + "/cpu.max")); });
  for_each_cgroup_level(cgroup_dirs(root, "cpu"), [&](const std::string& dir) {
    auto quota = read_text(dir + "/cpu.cfs_quota_us");
    auto period = read_text(dir + "/cpu.cfs_period_us");
    if (quota && period)
      narrow_cpus(*quota + " " + *period);
  });
  result.cpus = cpus;
  return result;
}

} // namespace dmlp::runtime
