// spdlog set-up for a dmlp process: one logger per node whose every line carries the node name,
// and an actor_log helper that adds the actor's name, so a line reads
//   2026-11-27 12:00:00.123 [node-1] [info] demo/workers: child squarer-2 restarted (3)
// The level comes from config, overridden by the DMLP_LOG environment variable
// (trace|debug|info|warn|error|off). spdlog loggers are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace dmlp::runtime {

/// Logging settings of a node (configs: `logging:`).
struct logging_options {
  /// Lowest level printed. Default: "info". DMLP_LOG overrides it.
  std::string level = "info";
  /// Also append to this file when non-empty. Default: none.
  std::string file;
  /// Write to stderr. Default: true (commands with a live view of their own log to `file`).
  bool console = true;
};

/// Parses a level name; returns false for an unknown name.
bool parse_level(const std::string& name, spdlog::level::level_enum& out);

/// Creates the logger of node `node_name` writing to stderr (and `options.file`).
std::shared_ptr<spdlog::logger> make_node_logger(const std::string& node_name,
                                                 const logging_options& options = {});

/// A logger bound to one actor's name.
class actor_log {
public:
  actor_log() = default;
  actor_log(std::shared_ptr<spdlog::logger> logger, std::string actor)
      : logger_(std::move(logger)), actor_(std::move(actor)) {}

  template <class... Ts> void info(const char* format, Ts&&... xs) const {
    write(spdlog::level::info, format, std::forward<Ts>(xs)...);
  }
  template <class... Ts> void warn(const char* format, Ts&&... xs) const {
    write(spdlog::level::warn, format, std::forward<Ts>(xs)...);
  }
  template <class... Ts> void error(const char* format, Ts&&... xs) const {
    write(spdlog::level::err, format, std::forward<Ts>(xs)...);
  }
  template <class... Ts> void debug(const char* format, Ts&&... xs) const {
    write(spdlog::level::debug, format, std::forward<Ts>(xs)...);
  }

private:
  template <class... Ts>
  void write(spdlog::level::level_enum level, const char* format, Ts&&... xs) const {
    if (!logger_ || !logger_->should_log(level))
      return;
    logger_->log(level, "{}: {}", actor_,
                 fmt::format(fmt::runtime(format), std::forward<Ts>(xs)...));
  }

  std::shared_ptr<spdlog::logger> logger_;
  std::string actor_;
};

} // namespace dmlp::runtime
