// `dmlp runs list [--json]` and `dmlp runs show RUN [--json]`: the pipeline runs recorded in
// the metadata database (--db, default $DMLP_HOME/metadata.db or ~/.dmlp/metadata.db), read
// through a read-only store, so they work while a workflow is running.
#include <ctime>
#include <iomanip>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/metadata/metadata_json.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"

namespace dmlp::cli {

namespace {

std::string format_time(int64_t ms) {
  if (ms <= 0)
    return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

std::string format_duration(int64_t start_ms, int64_t end_ms) {
  if (end_ms <= 0 || start_ms <= 0)
    return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << static_cast<double>(end_ms - start_ms) / 1000.0
      << "s";
  return out.str();
}

caf::expected<std::unique_ptr<metadata::metadata_store>> open_db(const std::string& path) {
  metadata::metadata_options options;
  options.path = path.empty() ? metadata::default_database_path() : path;
  options.read_only = true;
  return metadata::metadata_store::open(options, 0);
}

int runs_list(const std::string& db, bool json) {
  auto store = open_db(db);
  if (!store) {
    std::cerr << "dmlp runs list: " << describe(store.error()) << "\n";
    return 1;
  }
  auto runs = (*store)->list_runs();
  if (!runs) {
    std::cerr << "dmlp runs list: " << describe(runs.error()) << "\n";
    return 1;
  }
  if (json) {
    auto list = nlohmann::json::array();
    for (const auto& r : *runs)
      list.push_back(metadata::to_json(r));
    std::cout << nlohmann::json{{"runs", list}}.dump() << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(28) << "RUN" << std::setw(20) << "WORKFLOW" << std::setw(11)
            << "STATE" << std::setw(7) << "EXECS" << std::setw(9) << "COMPLETE" << std::setw(9)
            << "MEMOIZED" << std::setw(8) << "FAILED"
            << "STARTED\n";
  for (const auto& r : *runs) {
    auto props = nlohmann::json::parse(r.context.properties, nullptr, false);
    std::string workflow = props.is_object() ? props.value("workflow", std::string{}) : "";
    std::cout << std::left << std::setw(28) << r.context.name << std::setw(20) << workflow
              << std::setw(11) << r.context.state << std::setw(7) << r.executions << std::setw(9)
              << r.complete << std::setw(9) << r.memoized << std::setw(8) << r.failed
              << format_time(r.context.created_ms) << "\n";
  }
  return 0;
}

int runs_show(const std::string& db, const std::string& run, bool json) {
  auto store = open_db(db);
  if (!store) {
    std::cerr << "dmlp runs show: " << describe(store.error()) << "\n";
    return 1;
  }
  auto detail = (*store)->show_run(run);
  if (!detail) {
    std::cerr << "dmlp runs show: " << describe(detail.error()) << "\n";
    return 1;
  }
  if (json) {
    std::cout << metadata::to_json(*detail).dump() << "\n";
    return 0;
  }
  const auto& c = detail->context;
  auto props = nlohmann::json::parse(c.properties, nullptr, false);
  std::cout << "run " << c.name << " (" << c.state << "), started " << format_time(c.created_ms)
            << ", updated " << format_time(c.updated_ms) << "\n";
  if (props.is_object() && !props.value("failure", std::string{}).empty())
    std::cout << "failure: " << props.value("failure", std::string{}) << "\n";
  std::cout << std::left << std::setw(6) << "ID" << std::setw(22) << "STEP" << std::setw(16)
            << "TYPE" << std::setw(10) << "STATE" << std::setw(8) << "ATTEMPT" << std::setw(10)
            << "TIME" << std::setw(8) << "SAMPLES"
            << "EXIT REASON\n";
  for (size_t i = 0; i < detail->executions.size(); ++i) {
    const auto& x = detail->executions[i];
    std::cout << std::left << std::setw(6) << x.id << std::setw(22) << x.name << std::setw(16)
              << x.type << std::setw(10) << x.state << std::setw(8) << x.attempt << std::setw(10)
              << format_duration(x.start_ms, x.end_ms) << std::setw(8) << detail->sample_counts[i]
              << x.exit_reason << "\n";
  }
  if (!detail->artifacts.empty()) {
    std::cout << "artifacts:\n";
    for (const auto& a : detail->artifacts)
      std::cout << "  " << a.id << "  " << a.type << "  " << a.uri << "  " << a.digest << "\n";
  }
  return 0;
}

} // namespace

void add_runs_command(CLI::App& app, command_context& ctx) {
  auto runs = app.add_subcommand("runs", "Pipeline runs recorded in the metadata database");
  runs->require_subcommand(1);
  auto db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto run = std::make_shared<std::string>();
  auto list = runs->add_subcommand("list", "List runs, newest first");
  list->add_option("--db", *db, "Metadata database (default $DMLP_HOME/metadata.db)");
  list->add_flag("--json", *json, "Print one JSON object");
  list->callback([&ctx, db, json] { ctx.exit_code = runs_list(*db, *json); });
  auto show = runs->add_subcommand("show", "Show one run's executions and artifacts");
  show->add_option("run", *run, "Run id")->required();
  show->add_option("--db", *db, "Metadata database (default $DMLP_HOME/metadata.db)");
  show->add_flag("--json", *json, "Print one JSON object");
  show->callback([&ctx, db, run, json] { ctx.exit_code = runs_show(*db, *run, *json); });
}

} // namespace dmlp::cli
