// `dmlp ingest` end to end: the real Fashion-MNIST through a fresh cache (miss, then hit) with
// --json, and a missing dataset (non-zero exit, one line on stderr).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/unit/ingest/idx_fixture.hpp"

using dmlp::ingest::fixture::temp_dir;

namespace {

struct run_result {
  int status = -1;
  std::string out;
};

run_result run(const std::string& args, const std::string& err_file) {
  auto bin = std::getenv("DMLP_BIN_DIR");
  std::string dir = bin ? bin : "build/bin";
  std::string command = dir + "/dmlp ingest " + args + " 2>" + err_file;
  run_result result;
  auto pipe = popen(command.c_str(), "r");
  if (!pipe)
    return result;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    result.out.append(buf.data(), n);
  result.status = pclose(pipe);
  return result;
}

nlohmann::json last_line(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty())
      last = line;
  return nlohmann::json::parse(last, nullptr, false);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST(cli_ingest, real_dataset_misses_then_hits_with_json) {
  temp_dir cache;
  auto args = "--dataset fashion-mnist --cache-dir " + cache.str() + " --shards 2 --json";
  auto first = run(args, cache / "err1");
  ASSERT_EQ(first.status, 0) << read_text(cache / "err1");
  auto j = last_line(first.out);
  ASSERT_TRUE(j.is_object()) << first.out;
  EXPECT_EQ(j["train_samples"], 60000);
  EXPECT_EQ(j["test_samples"], 10000);
  EXPECT_EQ(j["cache"], "miss");
  EXPECT_EQ(j["shards"], 2);
  EXPECT_EQ(j["cache_key"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["seconds"].is_number());
  EXPECT_EQ(j.size(), 6u);
  auto second = run(args, cache / "err2");
  ASSERT_EQ(second.status, 0) << read_text(cache / "err2");
  auto k = last_line(second.out);
  EXPECT_EQ(k["cache"], "hit");
  EXPECT_EQ(k["cache_key"], j["cache_key"]);
}

TEST(cli_ingest, missing_dataset_fails_with_one_line) {
  temp_dir dir;
  auto result = run("--dataset fashion-mnist --data-dir " + (dir / "absent") + " --cache-dir " +
                        (dir / "cache") + " --json",
                    dir / "err");
  EXPECT_NE(result.status, 0);
  auto err = read_text(dir / "err");
  EXPECT_EQ(err.find("dmlp ingest: "), 0u) << err;
  EXPECT_NE(err.find("absent"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}
