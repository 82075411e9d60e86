// What a node offers when its config leaves node.cpus or node.memory_mb at 0: the CPUs it may
// run on (affinity mask, narrowed by a cgroup CPU quota) and the memory it may use (physical
// memory from /proc/meminfo, narrowed by a cgroup memory limit), cgroup v1 and v2 alike. The
// file system root is a parameter so that tests read a fake /proc and /sys tree. Free
// functions; thread-safe (they only read files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dmlp::runtime {

/// Capacity a node advertises in its membership entry.
struct node_capacity {
  /// CPU cores (at least 1).
  uint32_t cpus = 1;
  /// Memory in MiB (0 only when nothing could be read).
  uint32_t memory_mb = 0;
};

/// MemTotal of a /proc/meminfo text, in bytes; nothing when absent or malformed.
std::optional<uint64_t> parse_meminfo_total(const std::string& meminfo);

/// A cgroup memory limit file (v2 memory.max or v1 memory.limit_in_bytes), in bytes; nothing
/// for "max", for v1's "unlimited" page-rounded INT64_MAX, or when malformed.
std::optional<uint64_t> parse_memory_limit(const std::string& text);

/// CPUs allowed by a cgroup quota: v2 cpu.max ("QUOTA PERIOD" or "max PERIOD") or v1
/// "QUOTA" and "PERIOD" joined by a space; rounded up; nothing when unlimited or malformed.
std::optional<uint32_t> parse_cpu_quota(const std::string& text);

/// CPUs in this process's affinity mask (hardware concurrency when it cannot be read).
uint32_t affinity_cpus();

/// Detects the capacity under `root` ("" = the real /proc and /sys): the smallest of the
/// physical memory and every memory limit on the process's cgroup path, and the smallest of
/// `cpus_allowed` and every CPU quota on it.
node_capacity detect_node_capacity(const std::string& root = "",
                                   uint32_t cpus_allowed = affinity_cpus());

} // namespace dmlp::runtime
