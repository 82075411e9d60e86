// Checks docker-compose.yml and docker/Dockerfile against configs/cluster/ (no Docker engine
// runs here): services, init, commands, ports, seeds, volumes, health checks, and that both
// node configs are accepted by the node's own option reader.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "runtime/cluster/node_options.hpp"
#include "runtime/config.hpp"

using namespace dmlp::runtime;

namespace {

std::string source_dir() {
  const char* dir = std::getenv("DMLP_SOURCE_DIR");
  return dir ? dir : ".";
}

node_options read_node(const std::string& file) {
  auto reader = config_reader::from_file(source_dir() + "/configs/cluster/" + file);
  EXPECT_TRUE(reader) << file;
  node_options options;
  EXPECT_FALSE(read_node_options(*reader, options)) << file;
  return options;
}

std::string config_of(const YAML::Node& service) {
  auto cmd = service["command"];
  for (size_t i = 0; i + 1 < cmd.size(); ++i)
    if (cmd[i].as<std::string>() == "--config")
      return cmd[i + 1].as<std::string>();
  return "";
}

} // namespace

TEST(compose_file, matches_the_cluster_configs) {
  auto compose = YAML::LoadFile(source_dir() + "/docker-compose.yml");
  auto services = compose["services"];
  ASSERT_TRUE(services["head"]) << "no head service";
  ASSERT_TRUE(services["worker"]) << "no worker service";
  auto head = read_node("head.yaml");
  auto worker = read_node("worker.yaml");
  for (const char* name : {"head", "worker"}) {
    auto s = services[name];
    EXPECT_TRUE(s["init"].as<bool>()) << name;
    EXPECT_EQ(s["build"]["dockerfile"].as<std::string>(), "docker/Dockerfile");
    EXPECT_EQ(s["image"].as<std::string>(), "dmlp:latest");
    EXPECT_TRUE(s["healthcheck"]["test"].IsSequence()) << name;
    bool configs = false, data = false;
    for (const auto& v : s["volumes"]) {
      auto text = v.as<std::string>();
      configs |= text == "./configs/cluster:/etc/dmlp:ro";
      data |= text == "dmlp-data:" + head.data_dir;
    }
    EXPECT_TRUE(configs) << name << ": configs/cluster not mounted at /etc/dmlp";
    EXPECT_TRUE(data) << name << ": named volume not mounted at the data dir";
  }
  EXPECT_TRUE(compose["volumes"]["dmlp-data"]) << "named volume missing";
  EXPECT_EQ(config_of(services["head"]), "/etc/dmlp/head.yaml");
  EXPECT_EQ(config_of(services["worker"]), "/etc/dmlp/worker.yaml");
  // The head's published port is its node port; workers join through head:<port>.
  auto ports = services["head"]["ports"];
  ASSERT_EQ(ports.size(), 1u);
  auto port = std::to_string(head.port);
  EXPECT_EQ(ports[0].as<std::string>(), port + ":" + port);
  EXPECT_EQ(services["head"]["hostname"].as<std::string>(), "head");
  ASSERT_EQ(worker.seeds.size(), 1u);
  EXPECT_EQ(worker.seeds[0], "head:" + port);
  EXPECT_TRUE(head.seeds.empty());
  EXPECT_EQ(worker.port, head.port);
  EXPECT_TRUE(worker.name.empty()) << "scaled workers need their host name as node name";
  EXPECT_EQ(head.token_file, "/etc/dmlp/token");
  EXPECT_EQ(worker.token_file, head.token_file);
  std::ifstream token{source_dir() + "/configs/cluster/token"};
  EXPECT_TRUE(token.good()) << "configs/cluster/token missing";
  EXPECT_EQ(services["worker"]["depends_on"]["head"]["condition"].as<std::string>(),
            "service_healthy");
}

TEST(compose_file, dockerfile_builds_with_the_project_scripts) {
  std::ifstream in{source_dir() + "/docker/Dockerfile"};
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto s = text.str();
  EXPECT_NE(s.find("FROM debian:bookworm"), std::string::npos);
  EXPECT_NE(s.find("scripts/install-deps.sh"), std::string::npos);
  EXPECT_NE(s.find("scripts/build.sh"), std::string::npos);
  EXPECT_NE(s.find("dmlp-node"), std::string::npos);
}
