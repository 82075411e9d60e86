// `dmlp serve`: serves a model directory over HTTP (KServe V1 + Open Inference Protocol V2)
// with replicated, supervised, dynamically batching replicas, until SIGTERM or SIGINT:
//   dmlp serve --model DIR [--name NAME] --replicas N [--min-replicas A --max-replicas B]
//              [--port P] [--max-batch B --max-delay-us U] [--tokens FILE]
// More options (balancing, canary, timeouts) come from --config FILE (sections serving:, http:).
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include "actors/serving/errors.hpp"
#include "actors/serving/http_frontend.hpp"
#include "actors/serving/model_service.hpp"
#include "apps/dmlp/command.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/config.hpp"
#include "runtime/logging.hpp"
#include "runtime/system_config.hpp"

namespace dmlp::cli {

namespace {

struct serve_flags {
  std::string model;
  std::string name;
  uint32_t replicas = 1;
  uint32_t min_replicas = 0;
  uint32_t max_replicas = 0;
  uint16_t port = 8080;
  std::string host = "0.0.0.0";
  uint32_t max_batch = 0;
  uint32_t max_delay_us = 0;
  bool max_delay_given = false;
  uint32_t threads = 0;
  std::string tokens;
  std::string config;
  bool json = false;
};

caf::error read_config(const std::string& path, serving::serving_options& options,
                       serving::http_options& http) {
  auto reader = runtime::config_reader::from_file(path);
  if (!reader)
    return reader.error();
  auto serving_section = reader->section("serving");
  auto http_section = reader->section("http");
  if (!serving_section)
    return serving_section.error();
  if (!http_section)
    return http_section.error();
  if (auto err = serving::read_serving_options(*serving_section, options))
    return err;
  uint32_t port = http.port;
  uint32_t max_samples = http.limits.max_samples;
  int64_t max_body = static_cast<int64_t>(http.max_body_bytes);
  for (auto err :
       {http_section->read("host", http.host), http_section->read("port", port),
        http_section->read("threads", http.threads), http_section->read("max_body_bytes", max_body),
        http_section->read("max_samples", max_samples),
        http_section->read("request_timeout", http.request_timeout), http_section->finish(),
        reader->finish()})
    if (err)
      return err;
  http.port = static_cast<uint16_t>(port);
  http.max_body_bytes = static_cast<uint64_t>(std::max<int64_t>(1, max_body));
  http.limits.max_samples = max_samples;
  return caf::none;
}

int run_serve(const serve_flags& f, const CLI::App& cmd) {
  auto fail = [](const std::string& why) {
    std::cerr << "dmlp serve: " << why << "\n";
    return 1;
  };
  serving::serving_options options;
  serving::http_options http;
  http.port = f.port;
  http.host = f.host;
  if (!f.config.empty())
    if (auto err = read_config(f.config, options, http))
      return fail(describe(err));
  options.model_dir = f.model;
  if (!f.name.empty())
    options.name = f.name;
  options.replicas = f.replicas;
  if (cmd.count("--min-replicas") || cmd.count("--max-replicas")) {
    options.autoscale.min_replicas = cmd.count("--min-replicas") ? f.min_replicas : 0;
    options.autoscale.max_replicas = cmd.count("--max-replicas") ? f.max_replicas : f.replicas;
    if (options.autoscale.max_replicas < options.autoscale.min_replicas)
      return fail("--max-replicas is below --min-replicas");
  }
  if (cmd.count("--port"))
    http.port = f.port;
  if (f.max_batch > 0)
    options.replica.batching.max_batch = f.max_batch;
  if (cmd.count("--max-delay-us"))
    options.replica.batching.max_delay_us = f.max_delay_us;
  if (f.threads > 0)
    options.replica.runner.threads = f.threads;
  serving::rate_limit_options limits;
  if (!f.tokens.empty()) {
    auto read = serving::read_tokens_file(f.tokens);
    if (!read)
      return fail(describe(read.error()));
    limits = *read;
  }
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  serving::register_serving_errors(cfg);
  caf::actor_system sys{cfg};
  auto log = runtime::make_node_logger("serve");
  auto metrics = std::make_shared<serving::serving_metrics>();
  auto svc = serving::model_service::start(sys, options, runtime::make_services(sys, log), metrics);
  if (!svc)
    return fail(describe(svc.error()));
  serving::http_frontend front{sys, http, metrics, std::make_shared<serving::rate_limiter>(limits)};
  auto service = *svc;
  front.add_model(serving::served_model{service->name(), [service] { return service->router(); },
                                        service->prep(), service->classes(), options.model_dir});
  auto port = front.start();
  if (!port)
    return fail(describe(port.error()));
  // A service tree that gives up (e.g. every restart of a replica fails) ends the command.
  auto pid = ::getpid();
  auto watcher = sys.spawn([service, pid](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(service->supervisor());
    self->set_down_handler([pid](caf::down_msg&) { ::kill(pid, SIGUSR1); });
    return {[](int) {}};
  });
  std::cout << "serving '" << service->name() << "' from " << options.model_dir << " on http://"
            << http.host << ":" << *port << " (" << options.replicas << " replicas)" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  caf::scoped_actor self{sys};
  router_stats stats;
  self->request(service->router(), std::chrono::seconds{2}, router_stats_atom::value)
      .receive([&](router_stats& s) { stats = s; }, [](caf::error&) {});
  front.stop();
  service->stop();
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  if (f.json)
    std::cout << nlohmann::json{{"model", service->name()},
                                {"port", *port},
                                {"served", stats.served},
                                {"failed", stats.failed},
                                {"retries", stats.retries},
                                {"stable_version", stats.stable_version},
                                {"stopped_by", sig == SIGUSR1 ? "service_failure" : "signal"}}
                     .dump()
              << std::endl;
  if (sig == SIGUSR1)
    return fail("the service for '" + service->name() + "' stopped (see the log)");
  return 0;
}

} // namespace

void add_serve_command(CLI::App& app, command_context& ctx) {
  auto flags = std::make_shared<serve_flags>();
  auto* cmd = app.add_subcommand("serve", "Serve a model directory over HTTP (KServe V1, OIP V2)");
  cmd->add_option("--model", flags->model, "Model directory with numbered versions")->required();
  cmd->add_option("--name", flags->name, "Served name (default: from model.json)");
  cmd->add_option("--replicas", flags->replicas, "Replicas to start")->check(CLI::Range(0, 1024));
  cmd->add_option("--min-replicas", flags->min_replicas, "Autoscaling minimum (0: scale to zero)");
  cmd->add_option("--max-replicas", flags->max_replicas, "Autoscaling maximum");
  cmd->add_option("--port", flags->port, "HTTP port (0: any free port)");
  cmd->add_option("--host", flags->host, "Address to bind (default 0.0.0.0)");
  cmd->add_option("--max-batch", flags->max_batch, "Largest dynamic batch (default 32)");
  cmd->add_option("--max-delay-us", flags->max_delay_us,
                  "Longest batching delay in microseconds (default 2000)");
  cmd->add_option("--threads", flags->threads, "libtorch threads (default 1)");
  cmd->add_option("--tokens", flags->tokens, "Tokens file: bearer tokens and concurrency limits");
  cmd->add_option("--config", flags->config, "YAML with serving: and http: sections");
  cmd->add_flag("--json", flags->json, "Print a JSON summary as the last line on exit");
  cmd->callback([flags, cmd, &ctx] { ctx.exit_code = run_serve(*flags, *cmd); });
}

} // namespace dmlp::cli
