// `dmlp lineage ARTIFACT [--direction up|down|both] [--json]`: which executions and artifacts
// lie upstream (what data, step versions and parameters produced it) and downstream (what used
// it) of an artifact given by id or URI.
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/metadata/metadata_json.hpp"
#include "actors/metadata/metadata_store.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"

namespace dmlp::cli {

namespace {

struct lineage_flags {
  std::string artifact;
  std::string direction = "both";
  std::string db;
  bool json = false;
};

int lineage(const lineage_flags& flags) {
  auto fail = [](const caf::error& err) {
    std::cerr << "dmlp lineage: " << describe(err) << "\n";
    return 1;
  };
  auto direction = metadata::parse_direction(flags.direction);
  if (!direction)
    return fail(direction.error());
  metadata::metadata_options options;
  options.path = flags.db.empty() ? metadata::default_database_path() : flags.db;
  options.read_only = true;
  auto store = metadata::metadata_store::open(options, 0);
  if (!store)
    return fail(store.error());
  auto root = (*store)->find_artifact(flags.artifact);
  if (!root)
    return fail(root.error());
  auto graph = (*store)->lineage(root->id, *direction);
  if (!graph)
    return fail(graph.error());
  if (flags.json) {
    std::cout << metadata::to_json(*graph).dump() << "\n";
    return 0;
  }
  std::map<int64_t, const md_artifact*> artifacts{{graph->root.id, &graph->root}};
  for (const auto& a : graph->artifacts)
    artifacts[a.id] = &a;
  std::cout << "artifact " << root->id << " " << root->type << " " << root->uri << " "
            << root->digest << "\n";
  for (const auto& x : graph->executions) {
    std::cout << "execution " << x.id << " " << x.name << " (" << x.type << ", " << x.state
              << ") parameters " << x.parameters << "\n";
    for (const auto& e : graph->events) {
      if (e.execution_id != x.id)
        continue;
      auto a = artifacts.find(e.artifact_id);
      std::cout << "  " << (e.kind == "INPUT" ? "<- " : "-> ") << e.name << ": artifact "
                << e.artifact_id << " "
                << (a != artifacts.end() ? a->second->uri : std::string{"?"}) << "\n";
    }
  }
  return 0;
}

} // namespace

void add_lineage_command(CLI::App& app, command_context& ctx) {
  auto flags = std::make_shared<lineage_flags>();
  auto cmd = app.add_subcommand("lineage", "Executions and artifacts around an artifact");
  cmd->add_option("artifact", flags->artifact, "Artifact id or URI")->required();
  cmd->add_option("--direction", flags->direction, "up, down or both (default both)");
  cmd->add_option("--db", flags->db, "Metadata database (default $DMLP_HOME/metadata.db)");
  cmd->add_flag("--json", flags->json, "Print one JSON object");
  cmd->callback([&ctx, flags] { ctx.exit_code = lineage(*flags); });
}

} // namespace dmlp::cli
