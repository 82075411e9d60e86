// Cluster benchmarks with real dmlp-node processes on 127.0.0.1 (a head and one worker):
//  - failure-detection latency of kill -9 and of a freeze (SIGSTOP): time from the signal
//    until the head's membership reports the worker down (polled every 2 ms), over trials;
//  - remote spawn latency: a node agent starting a role actor for a remote requester;
//  - remote request round trip to that actor vs a raw TCP ping-pong on loopback, same run.
//   build/bin/bench/cluster_bench [--trials N] [--json]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_client.hpp"
#include "runtime/cluster/local_cluster.hpp"
#include "runtime/cluster/node_system.hpp"

using namespace dmlp;
using clk = std::chrono::steady_clock;
using us = std::chrono::microseconds;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double p99(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(v.size() * 0.99))];
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "cluster_bench: " << what << std::endl;
  std::exit(1);
}

member_state state_of(runtime::cluster_client& client, const caf::actor& head,
                      const std::string& name, uint64_t* epoch = nullptr) {
  if (auto st = client.status(head))
    for (auto& m : st->nodes)
      if (m.name == name) {
        if (epoch)
          *epoch = m.epoch;
        return m.state;
      }
  return member_state::joining;
}

bool poll(const std::function<bool()>& pred, std::chrono::milliseconds limit,
          std::chrono::microseconds every) {
  auto deadline = clk::now() + limit;
  while (clk::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(every);
  }
  return false;
}

// Median round trip of `rounds` 16-byte ping-pongs over a loopback TCP connection.
std::vector<double> tcp_ping_pong(int rounds) {
  int server = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  listen(server, 1);
  std::thread echo{[server] {
    int c = accept(server, nullptr, nullptr);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char buf[16];
    while (recv(c, buf, sizeof(buf), MSG_WAITALL) == sizeof(buf))
      send(c, buf, sizeof(buf), 0);
    close(c);
  }};
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::vector<double> rtts;
  char buf[16] = {0};
  for (int i = 0; i < rounds; ++i) {
    auto t0 = clk::now();
    send(c, buf, sizeof(buf), 0);
    recv(c, buf, sizeof(buf), MSG_WAITALL);
    rtts.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
  }
  close(c);
  echo.join();
  close(server);
  return rtts;
}

} // namespace

int main(int argc, char** argv) {
  int trials = 5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      json = true;
    else if (a == "--trials" && i + 1 < argc)
      trials = std::max(1, std::atoi(argv[++i]));
  }
  runtime::local_cluster_options opts;
  opts.nodes = 2;
  opts.replicas = 0;
  opts.base_port = static_cast<uint16_t>(26000 + (getpid() % 300) * 10);
  opts.dir = "/tmp/dmlp-cluster-bench-" + std::to_string(getpid());
  opts.node_binary = runtime::executable_dir() + "/../dmlp-node";
  auto nodes = runtime::write_local_cluster(opts);
  if (!nodes)
    die(describe(nodes.error()));
  auto dir = nodes->front().config.substr(0, nodes->front().config.rfind('/'));
  auto& head_node = (*nodes)[0];
  auto& worker = (*nodes)[1];
  for (auto& n : *nodes)
    if (auto err = runtime::launch_node(dir, opts.node_binary, n))
      die(describe(err));
  caf::actor_system_config cfg;
  runtime::configure_client_system(cfg, {});
  caf::actor_system sys{cfg};
  runtime::cluster_client client{sys, {}, std::chrono::milliseconds{1500}};
  caf::actor head;
  if (!poll(
          [&] {
            auto a = client.connect(head_node.address);
            if (a)
              head = *a;
            return static_cast<bool>(a);
          },
          std::chrono::seconds{10}, us{20000}))
    die("head did not start; see " + dir);
  auto wait_up = [&] {
    if (!poll([&] { return state_of(client, head, worker.name) == member_state::up; },
              std::chrono::seconds{15}, us{5000}))
      die("worker did not join; see " + dir);
  };
  wait_up();
  std::vector<double> kill_ms, freeze_ms;
  for (int mode = 0; mode < 2; ++mode) {
    for (int t = 0; t < trials; ++t) {
      uint64_t epoch = 0;
      state_of(client, head, worker.name, &epoch);
      auto t0 = clk::now();
      kill(worker.pid, mode == 0 ? SIGKILL : SIGSTOP);
      if (!poll(
              [&] {
                uint64_t e = 0;
                auto s = state_of(client, head, worker.name, &e);
                return e == epoch && s == member_state::down;
              },
              std::chrono::seconds{10}, us{2000}))
        die("worker loss not detected");
      auto ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
      (mode == 0 ? kill_ms : freeze_ms).push_back(ms);
      kill(worker.pid, SIGCONT);
      runtime::signal_and_wait(worker.pid, SIGKILL, std::chrono::seconds{5});
      if (auto err = runtime::launch_node(dir, opts.node_binary, worker))
        die(describe(err));
      poll(
          [&] {
            uint64_t e = 0;
            return state_of(client, head, worker.name, &e) == member_state::up && e != epoch;
          },
          std::chrono::seconds{15}, us{5000});
    }
  }
  // Remote spawn and request round trips against the worker's agent.
  auto worker_agent = client.connect(worker.address);
  if (!worker_agent)
    die(describe(worker_agent.error()));
  caf::scoped_actor self{sys};
  std::vector<double> spawn_us;
  caf::actor squarer;
  for (int i = 0; i < 200; ++i) {
    auto t0 = clk::now();
    self->request(*worker_agent, std::chrono::seconds{2}, cl_spawn_atom::value,
                  spawn_request{"squarer", "bench/s-" + std::to_string(i), "", {}, {}, {}, {}})
        .receive([&](caf::actor& a) { squarer = a; }, [&](caf::error& e) { die(describe(e)); });
    spawn_us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
  }
  std::vector<double> rpc_us;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = clk::now();
    self->request(squarer, std::chrono::seconds{2}, cl_work_atom::value, uint64_t{3})
        .receive([](uint64_t, const std::string&) {}, [&](caf::error& e) { die(describe(e)); });
    rpc_us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
  }
  auto tcp_us = tcp_ping_pong(2000);
  for (auto& n : *nodes) {
    kill(n.pid, SIGCONT);
    runtime::signal_and_wait(n.pid, SIGTERM, std::chrono::seconds{10});
    runtime::signal_and_wait(n.pid, SIGKILL, std::chrono::seconds{5});
  }
  nlohmann::json out{{"bench", "cluster"},
                     {"trials", trials},
                     {"kill9_detect_ms_median", median(kill_ms)},
                     {"kill9_detect_ms_p99", p99(kill_ms)},
                     {"freeze_detect_ms_median", median(freeze_ms)},
                     {"freeze_detect_ms_p99", p99(freeze_ms)},
                     {"down_after_ms", opts.down_after.count()},
                     {"remote_spawn_us_median", median(spawn_us)},
                     {"remote_spawn_us_p99", p99(spawn_us)},
                     {"remote_rtt_us_median", median(rpc_us)},
                     {"tcp_rtt_us_median", median(tcp_us)},
                     {"remote_vs_tcp_ratio", median(rpc_us) / std::max(1e-9, median(tcp_us))}};
  if (!json) {
    std::cout << "kill -9 detection: median " << median(kill_ms) << " ms, p99 " << p99(kill_ms)
              << " ms (" << trials << " trials)\n"
              << "freeze detection:  median " << median(freeze_ms) << " ms, p99 " << p99(freeze_ms)
              << " ms (down_after " << opts.down_after.count() << " ms)\n"
              << "remote spawn:      median " << median(spawn_us) << " us\n"
              << "remote request:    median " << median(rpc_us) << " us vs raw TCP "
              << median(tcp_us) << " us (ratio " << out["remote_vs_tcp_ratio"] << ")\n";
  }
  std::cout << out << std::endl;
  return 0;
}
