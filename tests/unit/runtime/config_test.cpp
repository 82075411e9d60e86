// Strict YAML configuration: values, defaults, and errors that name the file and the key.
#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/logging.hpp"
#include "runtime/supervisor.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using namespace std::chrono_literals;

namespace {

config_reader parse(const std::string& text) {
  auto reader = config_reader::from_string(text, "test.yaml");
  EXPECT_TRUE(reader) << describe(reader.error());
  return std::move(*reader);
}

} // namespace

TEST(config, reads_supervisor_options) {
  auto reader = parse(R"(
strategy: rest_for_one
intensity: {max_restarts: 7, period: 2s}
backoff: {min: 5ms, max: 1.5s, jitter: 0.1, reset_after: 1m}
)");
  supervisor_spec spec;
  ASSERT_FALSE(read_supervisor_options(reader, spec));
  EXPECT_FALSE(reader.finish());
  EXPECT_EQ(spec.restart_strategy, strategy::rest_for_one);
  EXPECT_EQ(spec.intensity.max_restarts, 7u);
  EXPECT_EQ(spec.intensity.period, 2000ms);
  EXPECT_EQ(spec.backoff.min, 5ms);
  EXPECT_EQ(spec.backoff.max, 1500ms);
  EXPECT_DOUBLE_EQ(spec.backoff.jitter, 0.1);
  EXPECT_EQ(spec.backoff.reset_after, 60000ms);
}

TEST(config, absent_keys_keep_defaults) {
  auto reader = parse("{}");
  supervisor_spec spec;
  ASSERT_FALSE(read_supervisor_options(reader, spec));
  EXPECT_EQ(spec.intensity.max_restarts, restart_intensity{}.max_restarts);
  EXPECT_EQ(spec.backoff.min, backoff_options{}.min);
}

TEST(config, unknown_key_names_file_and_full_path) {
  auto reader = parse("intensity: {max_restart: 3}\n");
  supervisor_spec spec;
  auto err = read_supervisor_options(reader, spec);
  ASSERT_TRUE(err);
  EXPECT_EQ(err, caf::error{runtime_errc::config_unknown_key});
  EXPECT_NE(describe(err).find("test.yaml: intensity.max_restart"), std::string::npos)
      << describe(err);
  auto top = parse("workers: 3\nwrokers: 4\n");
  uint32_t workers = 0;
  ASSERT_FALSE(top.read("workers", workers));
  auto unknown = top.finish();
  ASSERT_TRUE(unknown);
  EXPECT_NE(describe(unknown).find("test.yaml: wrokers"), std::string::npos);
}

TEST(config, wrong_types_are_errors_naming_the_key) {
  auto reader = parse("intensity: {max_restarts: many}\n");
  supervisor_spec spec;
  auto err = read_supervisor_options(reader, spec);
  ASSERT_TRUE(err);
  EXPECT_EQ(err, caf::error{runtime_errc::config_invalid_value});
  EXPECT_NE(describe(err).find("intensity.max_restarts"), std::string::npos);
  auto negative = parse("n: -3\n");
  uint32_t n = 0;
  EXPECT_EQ(negative.read("n", n), caf::error{runtime_errc::config_invalid_value});
  auto not_map = parse("intensity: 3\n");
  EXPECT_EQ(read_supervisor_options(not_map, spec), caf::error{runtime_errc::config_invalid_value});
  auto bad_unit = parse("backoff: {min: 3 weeks}\n");
  EXPECT_EQ(read_supervisor_options(bad_unit, spec),
            caf::error{runtime_errc::config_invalid_value});
  auto bad_strategy = parse("strategy: all_for_one\n");
  EXPECT_EQ(read_supervisor_options(bad_strategy, spec),
            caf::error{runtime_errc::config_invalid_value});
  auto bad_jitter = parse("backoff: {jitter: 2}\n");
  EXPECT_EQ(read_supervisor_options(bad_jitter, spec),
            caf::error{runtime_errc::config_invalid_value});
}

TEST(config, required_keys_and_unreadable_files) {
  auto reader = parse("a: 1\n");
  std::string name;
  EXPECT_EQ(reader.require("name", name), caf::error{runtime_errc::config_missing_key});
  auto missing = config_reader::from_file("/nonexistent/dmlp.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), caf::error{runtime_errc::config_unreadable});
  auto broken = config_reader::from_string("a: [1, 2\n", "broken.yaml");
  ASSERT_FALSE(broken);
  EXPECT_NE(describe(broken.error()).find("broken.yaml"), std::string::npos);
  auto scalar = config_reader::from_string("just text", "scalar.yaml");
  EXPECT_FALSE(scalar);
}

TEST(config, logging_levels_are_validated) {
  auto good = parse("level: debug\nfile: /tmp/x.log\n");
  logging_options options;
  ASSERT_FALSE(read_logging_options(good, options));
  EXPECT_EQ(options.level, "debug");
  EXPECT_EQ(options.file, "/tmp/x.log");
  auto bad = parse("level: loud\n");
  EXPECT_EQ(read_logging_options(bad, options), caf::error{runtime_errc::config_invalid_value});
}

TEST(config, repository_configs_parse) {
  auto dir = std::string{std::getenv("DMLP_SOURCE_DIR") ? std::getenv("DMLP_SOURCE_DIR") : "."};
  auto reader = config_reader::from_file(dir + "/configs/demo/supervision.yaml");
  ASSERT_TRUE(reader) << describe(reader.error());
  uint32_t workers = 0, restarts = 0;
  EXPECT_FALSE(reader->read("workers", workers));
  EXPECT_FALSE(reader->read("pool_restarts_per_second", restarts));
  auto logging = reader->section("logging");
  ASSERT_TRUE(logging);
  logging_options options;
  EXPECT_FALSE(read_logging_options(*logging, options));
  EXPECT_FALSE(reader->finish());
  EXPECT_GT(workers, 0u);
}
