// `dmlp model init` and `dmlp serve` as real processes: a model is initialised, served on a
// free port of 127.0.0.1, queried over HTTP, and the server stops cleanly on SIGTERM with its
// JSON summary as the last line.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

std::string dmlp_binary() {
  auto* dir = std::getenv("DMLP_BIN_DIR");
  return std::string{dir ? dir : "build/bin"} + "/dmlp";
}

std::string run(const std::string& cmd, int& status) {
  std::string out;
  std::array<char, 4096> buf;
  FILE* pipe = popen(cmd.c_str(), "r");
  while (pipe && fgets(buf.data(), buf.size(), pipe))
    out += buf.data();
  status = pipe ? pclose(pipe) : -1;
  return out;
}

} // namespace

TEST(serving_cli, init_serve_query_and_stop) {
  auto dir =
      (std::filesystem::temp_directory_path() / ("dmlp-serving-cli-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  int status = 0;
  auto out =
      run(dmlp_binary() + " model init --model cnn --out " + dir + " --seed 7 --json", status);
  ASSERT_EQ(status, 0) << out;
  auto summary = nlohmann::json::parse(out.substr(out.rfind('{')));
  EXPECT_EQ(summary["version"], 1);
  EXPECT_EQ(summary["parameters"], 93322);
  EXPECT_NE(run(dmlp_binary() + " serve --model /nonexistent/dir --port 0 2>&1", status)
                .find("dmlp serve:"),
            std::string::npos);
  EXPECT_NE(status, 0);

  // Start the server with its stdout on a pipe; its first line names the port.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    auto bin = dmlp_binary();
    execl(bin.c_str(), bin.c_str(), "serve", "--model", dir.c_str(), "--replicas", "2", "--host",
          "127.0.0.1", "--port", "0", "--max-batch", "8", "--max-delay-us", "500", "--json",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* child_out = fdopen(fds[0], "r");
  std::array<char, 1024> line{};
  ASSERT_TRUE(fgets(line.data(), line.size(), child_out));
  std::string first{line.data()};
  auto colon = first.rfind(':');
  ASSERT_NE(colon, std::string::npos) << first;
  auto port = std::stoi(first.substr(colon + 1));
  httplib::Client cli{"127.0.0.1", port};
  cli.set_read_timeout(std::chrono::seconds{60});
  nlohmann::json body{{"instances", {std::vector<int>(784, 255)}}};
  auto res = cli.Post("/v1/models/cnn:predict", body.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["predictions"][0].size(), 10u);
  kill(pid, SIGTERM);
  std::string rest;
  while (fgets(line.data(), line.size(), child_out))
    rest += line.data();
  fclose(child_out);
  int child_status = 0;
  waitpid(pid, &child_status, 0);
  EXPECT_TRUE(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0) << rest;
  auto last = nlohmann::json::parse(rest.substr(rest.rfind('{')));
  EXPECT_EQ(last["served"], 1);
  EXPECT_EQ(last["failed"], 0);
  std::filesystem::remove_all(dir);
}
