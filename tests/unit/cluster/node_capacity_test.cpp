// Capacity detection (runtime/cluster/node_capacity.hpp) over fake /proc and /sys trees:
// physical memory, cgroup v1 and v2 memory limits and CPU quotas, limits set on an ancestor.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/cluster/node_capacity.hpp"

using namespace dmlp::runtime;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t mib = 1024 * 1024;

struct fake_root : ::testing::Test {
  std::string root = (fs::temp_directory_path() /
                      ("dmlp-capacity-" + std::to_string(getpid()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                         .string();

  void SetUp() override {
    fs::remove_all(root);
    write("/proc/meminfo", "MemTotal:        8388608 kB\nMemFree:         1000 kB\n");
  }
  void TearDown() override { fs::remove_all(root); }

  void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path{root + path}.parent_path());
    std::ofstream{root + path} << text;
  }
};

} // namespace

TEST(node_capacity, parses_meminfo_limits_and_quotas) {
  EXPECT_EQ(parse_meminfo_total("MemTotal:  2048 kB\n"), 2048u * 1024);
  EXPECT_FALSE(parse_meminfo_total("MemFree: 10 kB\n"));
  EXPECT_FALSE(parse_meminfo_total("MemTotal: lots\n"));
  EXPECT_EQ(parse_memory_limit("1073741824\n"), 1024 * mib);
  EXPECT_FALSE(parse_memory_limit("max\n"));
  EXPECT_FALSE(parse_memory_limit("9223372036854771712\n")) << "v1 'unlimited'";
  EXPECT_FALSE(parse_memory_limit("garbage"));
  EXPECT_EQ(parse_cpu_quota("150000 100000\n"), 2u) << "1.5 CPUs round up";
  EXPECT_EQ(parse_cpu_quota("50000 100000"), 1u);
  EXPECT_FALSE(parse_cpu_quota("max 100000\n"));
  EXPECT_FALSE(parse_cpu_quota("-1\n 100000\n")) << "v1 no quota";
  EXPECT_FALSE(parse_cpu_quota("100000 0"));
  EXPECT_FALSE(parse_cpu_quota(""));
}

TEST_F(fake_root, physical_memory_and_affinity_without_cgroup_limits) {
  write("/proc/self/cgroup", "0::/\n");
  auto cap = detect_node_capacity(root, 6);
  EXPECT_EQ(cap.memory_mb, 8192u);
  EXPECT_EQ(cap.cpus, 6u);
}

TEST_F(fake_root, cgroup_v2_limits_narrow_memory_and_cpus) {
  write("/proc/self/cgroup", "0::/jobs/trainer\n");
  write("/sys/fs/cgroup/jobs/trainer/memory.max", "2147483648\n");
  write("/sys/fs/cgroup/jobs/trainer/cpu.max", "150000 100000\n");
  write("/sys/fs/cgroup/jobs/memory.max", "max\n");
  auto cap = detect_node_capacity(root, 8);
  EXPECT_EQ(cap.memory_mb, 2048u);
  EXPECT_EQ(cap.cpus, 2u);
}

TEST_F(fake_root, cgroup_v1_limit_of_an_ancestor_applies) {
  write("/proc/self/cgroup", "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:pids:/\n");
  write("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
  write("/sys/fs/cgroup/memory/docker/memory.limit_in_bytes", "536870912\n");
  write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000\n");
  write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  auto cap = detect_node_capacity(root, 16);
  EXPECT_EQ(cap.memory_mb, 512u);
  EXPECT_EQ(cap.cpus, 3u);
}

TEST_F(fake_root, a_limit_above_physical_memory_and_no_quota_change_nothing) {
  write("/proc/self/cgroup", "4:memory:/\n2:cpu:/\n");
  write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "17179869184\n");
  write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
  write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  auto cap = detect_node_capacity(root, 4);
  EXPECT_EQ(cap.memory_mb, 8192u);
  EXPECT_EQ(cap.cpus, 4u);
}

TEST_F(fake_root, unreadable_files_give_no_memory_and_the_allowed_cpus) {
  fs::remove_all(root);
  auto cap = detect_node_capacity(root, 3);
  EXPECT_EQ(cap.memory_mb, 0u);
  EXPECT_EQ(cap.cpus, 3u);
}

TEST(node_capacity, this_machine_reports_memory_and_cpus) {
  auto cap = detect_node_capacity();
  EXPECT_GT(cap.memory_mb, 0u);
  EXPECT_GE(cap.cpus, 1u);
  EXPECT_LE(cap.cpus, affinity_cpus());
}
