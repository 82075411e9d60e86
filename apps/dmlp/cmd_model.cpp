// `dmlp model`: model artifacts without training.
//   dmlp model init --model cnn|dropout|batch_norm --out DIR [--seed S] [--name NAME] [--json]
//       saves a freshly initialised model (fixed seed) as the next version of DIR, so a server
//       can be started before any training ran;
//   dmlp model info --model DIR [--json]
//       lists the versions of DIR with their metadata, validating every file.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/models/model_artifact.hpp"
#include "actors/models/model_runner.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"

namespace dmlp::cli {

namespace {

struct model_flags {
  std::string architecture = "cnn";
  std::string out;
  std::string dir;
  std::string name;
  uint64_t seed = 42;
  bool json = false;
};

int run_init(const model_flags& f) {
  auto name = f.name.empty() ? f.architecture : f.name;
  auto version = models::init_model(f.out, f.architecture, name, f.seed);
  if (!version) {
    std::cerr << "dmlp model init: " << describe(version.error()) << "\n";
    return 1;
  }
  auto meta = models::read_metadata(f.out, *version);
  std::cout << "saved " << f.architecture << " (seed " << f.seed << ") as version " << *version
            << " of " << f.out << std::endl;
  if (f.json)
    std::cout << nlohmann::json{{"model", f.architecture},
                                {"name", name},
                                {"dir", f.out},
                                {"version", *version},
                                {"seed", f.seed},
                                {"parameters", meta ? meta->parameters : 0}}
                     .dump()
              << std::endl;
  return 0;
}

int run_info(const model_flags& f) {
  auto versions = models::list_versions(f.dir);
  if (!versions) {
    std::cerr << "dmlp model info: " << describe(versions.error()) << "\n";
    return 1;
  }
  nlohmann::json out = nlohmann::json::array();
  int status = 0;
  for (auto v : *versions) {
    auto runner = models::model_runner::load(f.dir, v);
    if (!runner) {
      std::cout << "version " << v << ": INVALID: " << describe(runner.error()) << "\n";
      out.push_back({{"version", v}, {"error", describe(runner.error())}});
      status = 1;
      continue;
    }
    auto& m = runner->metadata();
    std::cout << "version " << v << ": " << m.architecture << " '" << m.name << "', "
              << m.parameters << " parameters, preprocessing " << runner->prep().canonical()
              << "\n";
    out.push_back({{"version", v},
                   {"architecture", m.architecture},
                   {"name", m.name},
                   {"parameters", m.parameters},
                   {"metrics", m.metrics}});
  }
  if (f.json)
    std::cout << nlohmann::json{{"dir", f.dir}, {"versions", out}}.dump() << std::endl;
  return status;
}

} // namespace

void add_model_command(CLI::App& app, command_context& ctx) {
  auto flags = std::make_shared<model_flags>();
  auto* cmd = app.add_subcommand("model", "Create and inspect model artifacts");
  cmd->require_subcommand(1);
  auto* init = cmd->add_subcommand("init", "Save a freshly initialised model as a new version");
  init->add_option("--model", flags->architecture, "Architecture: cnn, dropout, batch_norm")
      ->required();
  init->add_option("--out", flags->out, "Model directory")->required();
  init->add_option("--seed", flags->seed, "Random seed of the initialisation (default 42)");
  init->add_option("--name", flags->name, "Served name (default: the architecture)");
  init->add_flag("--json", flags->json, "Print a JSON summary as the last line");
  init->callback([flags, &ctx] { ctx.exit_code = run_init(*flags); });
  auto* info = cmd->add_subcommand("info", "List and validate the versions of a model directory");
  info->add_option("--model", flags->dir, "Model directory")->required();
  info->add_flag("--json", flags->json, "Print a JSON summary as the last line");
  info->callback([flags, &ctx] { ctx.exit_code = run_info(*flags); });
}

} // namespace dmlp::cli
