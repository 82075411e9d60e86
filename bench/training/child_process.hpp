// Child processes of a benchmark program: the program runs copies of itself (/proc/self/exe with
// other arguments) and talks to each line by line over the child's stdin and stdout, so that
// what it measures runs in fresh, independent processes. A child that exits early, stays silent
// for two minutes or says something unexpected fails the run with std::runtime_error instead of
// hanging it. Used by bench_allreduce (ranks) and training_bench (independent trainers).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dmlp::bench {

/// One running child: its pid and the parent's ends of its stdin and stdout.
struct child_process {
  pid_t pid = -1;
  int to = -1;
  int from = -1;
  std::string pending;
};

/// Starts this program again with `args` (args[0] is the program name it sees).
child_process spawn_child(const std::vector<std::string>& args);

/// The next line `child` (named `who` in errors) writes, without its newline.
std::string read_line(child_process& child, const std::string& who);

/// The rest of the next line after `prefix`; an error when the line does not start with it.
std::string expect_line(child_process& child, const std::string& who, const std::string& prefix);

/// Writes `line` and a newline to the child's stdin.
void write_line(child_process& child, const std::string& line);

/// Closes the child's stdin and waits for it; an error unless it exits with status 0.
void wait_child(child_process& child, const std::string& who);

/// Kills and reaps the children still running and closes every pipe.
void stop_children(std::vector<child_process>& children);

} // namespace dmlp::bench
