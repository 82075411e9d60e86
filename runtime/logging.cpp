#include "runtime/logging.hpp"

#include <cstdlib>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace dmlp::runtime {

bool parse_level(const std::string& name, spdlog::level::level_enum& out) {
  static const std::pair<const char*, spdlog::level::level_enum> levels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off},
  };
  for (const auto& [text, level] : levels)
    if (name == text) {
      out = level;
      return true;
    }
  return false;
}

std::shared_ptr<spdlog::logger> make_node_logger(const std::string& node_name,
                                                 const logging_options& options) {
  std::vector<spdlog::sink_ptr> sinks;
  if (options.console)
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
  auto logger = std::make_shared<spdlog::logger>(node_name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%n] [%l] %v");
  auto level = spdlog::level::info;
  parse_level(options.level, level);
  if (const char* env = std::getenv("DMLP_LOG"))
    parse_level(env, level);
  logger->set_level(level);
  return logger;
}

} // namespace dmlp::runtime
