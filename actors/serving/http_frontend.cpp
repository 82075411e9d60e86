#include "actors/serving/http_frontend.hpp"

#include <map>

#include <caf/all.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/models/errors.hpp"
#include "actors/models/model_artifact.hpp"
#include "actors/serving/errors.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::serving {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

struct http_frontend::impl {
  impl(caf::actor_system& s, http_options o, std::shared_ptr<serving_metrics> m,
       std::shared_ptr<rate_limiter> l)
      : sys(s), options(std::move(o)), metrics(std::move(m)), limiter(std::move(l)) {}

  caf::actor_system& sys;
  http_options options;
  std::shared_ptr<serving_metrics> metrics;
  std::shared_ptr<rate_limiter> limiter;
  std::map<std::string, served_model> models;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;

  static void reply(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
  }

  static void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, format_error(message));
  }

  const served_model* find(const std::string& name) const {
    auto i = models.find(name);
    return i == models.end() ? nullptr : &i->second;
  }

  /// The router's stats, or an error (timeout, no router).
  caf::expected<router_stats> stats(const served_model& m) {
    auto entry = m.entry();
    if (!entry)
      return caf::make_error(serving_errc::no_replica, "model '" + m.name + "' has no router");
    caf::scoped_actor self{sys};
    caf::expected<router_stats> out{router_stats{}};
    self->request(entry, std::chrono::seconds{2}, router_stats_atom::value)
        .receive([&](router_stats& s) { out = s; }, [&](caf::error& err) { out = err; });
    return out;
  }

  bool ready(const served_model& m) {
    auto s = stats(m);
    return s && s->ready_replicas > 0;
  }

  static int status_of(const caf::error& err) {
    if (err == serving_errc::bad_request || err == models::model_errc::bad_input)
      return 400;
    if (err == caf::sec::request_timeout)
      return 504;
    if (err == serving_errc::no_replica || err == serving_errc::attempts_exhausted)
      return 503;
    return 500;
  }

  /// Rate limiting, parsing and inference of one V1 or V2 request.
  void infer(const httplib::Request& req, httplib::Response& res, const std::string& protocol) {
    auto started = clock_type::now();
    auto name = req.matches[1].str();
    auto finish = [&](int status, const std::string& body) {
      reply(res, status, body);
      if (metrics)
        metrics->record_request(find(name) ? name : "", protocol, status,
                                clock_type::now() - started);
    };
    auto verdict = limiter->classify(req.get_header_value("Authorization"));
    if (!verdict.authenticated_ok)
      return finish(401, format_error("unknown bearer token"));
    auto permit = limiter->try_acquire(verdict.cls);
    if (!permit) {
      if (metrics)
        metrics->record_rate_limited(to_string(verdict.cls));
      res.set_header("Retry-After", "1");
      return finish(429, format_error("too many concurrent requests for " + to_string(verdict.cls) +
                                      " clients (limit " +
                                      std::to_string(limiter->limit(verdict.cls)) + ")"));
    }
    auto* model = find(name);
    if (!model)
      return finish(404, format_error("unknown model '" + name + "'"));
    auto parsed = protocol == "v1" ? parse_v1_request(req.body, model->prep, options.limits)
                                   : parse_v2_request(req.body, model->prep, options.limits);
    if (!parsed.ok())
      return finish(parsed.status, format_error(parsed.error));
    auto entry = model->entry();
    if (!entry)
      return finish(503, format_error("model '" + name + "' is not running"));
    inference_request request;
    request.key = req.get_header_value("X-Routing-Key");
    request.samples = parsed.samples;
    request.inputs = std::move(parsed.inputs);
    caf::scoped_actor self{sys};
    int status = 500;
    std::string body;
    self->request(entry, options.request_timeout, infer_atom::value, std::move(request))
        .receive(
            [&](inference_result& result) {
              status = 200;
              body = protocol == "v1" ? format_v1_response(result)
                                      : format_v2_response(name, parsed.id, result);
            },
            [&](caf::error& err) {
              status = status_of(err);
              body = format_error(describe(err));
            });
    finish(status, body);
  }

  json metadata(const served_model& m) {
    json versions = json::array();
    if (auto v = models::list_versions(m.model_dir))
      for (auto n : *v)
        versions.push_back(std::to_string(n));
    return json{
        {"name", m.name},
        {"versions", versions},
        {"platform", "dmlp_libtorch"},
        {"inputs",
         json::array({json{{"name", "input"},
                           {"datatype", "UINT8"},
                           {"shape", {-1, m.prep.channels, m.prep.height, m.prep.width}}}})},
        {"outputs",
         json::array(
             {json{{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, m.classes}}}})}};
  }

  void routes() {
    auto& s = *server;
    s.Post(R"(/v1/models/([^/:]+):predict)",
           [this](const httplib::Request& req, httplib::Response& res) { infer(req, res, "v1"); });
    s.Post(R"(/v2/models/([^/]+)/infer)",
           [this](const httplib::Request& req, httplib::Response& res) { infer(req, res, "v2"); });
    s.Get(R"(/v1/models/([^/:]+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto* m = find(req.matches[1].str());
      if (!m)
        return reply_error(res, 404, "unknown model '" + req.matches[1].str() + "'");
      reply(res, 200, json{{"name", m->name}, {"ready", ready(*m)}}.dump());
    });
    s.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) {
      reply(res, 200, json{{"live", true}}.dump());
    });
    s.Get("/v2/health/ready", [this](const httplib::Request&, httplib::Response& res) {
      bool all = !models.empty();
      for (auto& [name, m] : models)
        all = all && ready(m);
      reply(res, all ? 200 : 503, json{{"ready", all}}.dump());
    });
    s.Get(R"(/v2/models/([^/]+)/ready)",
          [this](const httplib::Request& req, httplib::Response& res) {
            auto* m = find(req.matches[1].str());
            if (!m)
              return reply_error(res, 404, "unknown model '" + req.matches[1].str() + "'");
            bool r = ready(*m);
            reply(res, r ? 200 : 503, json{{"name", m->name}, {"ready", r}}.dump());
          });
    s.Get(R"(/v2/models/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto* m = find(req.matches[1].str());
      if (!m)
        return reply_error(res, 404, "unknown model '" + req.matches[1].str() + "'");
      reply(res, 200, metadata(*m).dump());
    });
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics ? metrics->serialize() : std::string{}, "text/plain; version=0.0.4");
    });
    s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty())
        return;
      if (res.status == 413)
        reply_error(res, 413,
                    "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
      else if (res.status == 404)
        reply_error(res, 404, "no route for " + req.method + " " + req.path);
      else
        reply_error(res, res.status, "HTTP error " + std::to_string(res.status));
    });
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "internal error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {}
          reply_error(res, 500, what);
        });
  }
};

http_frontend::http_frontend(caf::actor_system& sys, http_options options,
                             std::shared_ptr<serving_metrics> metrics,
                             std::shared_ptr<rate_limiter> limiter)
    : impl_(std::make_unique<impl>(
          sys, std::move(options), std::move(metrics),
          limiter ? std::move(limiter) : std::make_shared<rate_limiter>(rate_limit_options{}))) {}

http_frontend::~http_frontend() {
  stop();
}

void http_frontend::add_model(served_model model) {
  auto name = model.name;
  impl_->models[name] = std::move(model);
}

caf::expected<uint16_t> http_frontend::start() {
  auto& d = *impl_;
  d.server = std::make_unique<httplib::Server>();
  auto threads = std::max<uint32_t>(1, d.options.threads);
  d.server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  d.server->set_payload_max_length(d.options.max_body_bytes);
  d.server->set_keep_alive_max_count(100000);
  d.server->set_tcp_nodelay(true); // small JSON answers must not wait for delayed ACKs
  d.routes();
  int port = d.options.port;
  if (port == 0)
    port = d.server->bind_to_any_port(d.options.host);
  else if (!d.server->bind_to_port(d.options.host, port))
    port = -1;
  if (port <= 0)
    return caf::make_error(serving_errc::bind_failed,
                           "cannot bind " + d.options.host + ":" + std::to_string(d.options.port));
  d.thread = std::thread{[&d] { d.server->listen_after_bind(); }};
  return static_cast<uint16_t>(port);
}

void http_frontend::stop() {
  auto& d = *impl_;
  if (d.server)
    d.server->stop();
  if (d.thread.joinable())
    d.thread.join();
  d.server.reset();
}

} // namespace dmlp::serving
