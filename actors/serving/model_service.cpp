#include "actors/serving/model_service.hpp"

#include <algorithm>
#include <cstdlib>

#include <caf/all.hpp>

#include "actors/models/model_runner.hpp"
#include "actors/serving/autoscaler.hpp"
#include "actors/serving/errors.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"

namespace dmlp::serving {

namespace {

caf::error read_ms(runtime::config_reader& r, const std::string& key,
                   std::chrono::milliseconds& out) {
  return r.read(key, out);
}

} // namespace

caf::error read_serving_options(runtime::config_reader& reader, serving_options& o) {
  auto& b = o.replica.batching;
  std::string balancing = to_string(o.router.balancing);
  std::vector<std::string> preferred;
  for (auto n : b.preferred_sizes)
    preferred.push_back(std::to_string(n));
  auto autoscale = reader.section("autoscale");
  auto batching = reader.section("batching");
  auto router = reader.section("router");
  auto supervision = reader.section("supervision");
  for (auto* s : {&autoscale, &batching, &router, &supervision})
    if (!*s)
      return s->error();
  caf::error err;
  auto step = [&](caf::error e) {
    if (!err && e)
      err = std::move(e);
  };
  step(reader.read("model_dir", o.model_dir));
  step(reader.read("name", o.name));
  step(reader.read("replicas", o.replicas));
  step(reader.read("threads", o.replica.runner.threads));
  step(reader.read("max_chunk", o.replica.runner.max_chunk));
  step(reader.read("warm_up_batch", o.replica.warm_up_batch));
  step(autoscale->read("min_replicas", o.autoscale.min_replicas));
  step(autoscale->read("max_replicas", o.autoscale.max_replicas));
  step(autoscale->read("target_concurrency", o.autoscale.target_concurrency));
  step(read_ms(*autoscale, "window", o.autoscale.window));
  step(read_ms(*autoscale, "scale_up_delay", o.autoscale.scale_up_delay));
  step(read_ms(*autoscale, "scale_down_delay", o.autoscale.scale_down_delay));
  step(read_ms(*autoscale, "tick", o.autoscale.tick));
  step(batching->read("max_batch", b.max_batch));
  step(batching->read("max_delay_us", b.max_delay_us));
  step(batching->read("preferred_sizes", preferred));
  step(router->read("balancing", balancing));
  step(read_ms(*router, "replica_timeout", o.router.replica_timeout));
  step(router->read("max_attempts", o.router.max_attempts));
  step(read_ms(*router, "cold_start_wait", o.router.cold_start_wait));
  step(read_ms(*router, "version_poll", o.router.version_poll));
  step(router->read("canary_percent", o.router.canary_percent));
  step(read_ms(*router, "canary_duration", o.router.canary_duration));
  step(read_ms(*router, "load_timeout", o.router.load_timeout));
  step(runtime::read_supervisor_options(*supervision, o.supervision));
  for (auto* s : {&*autoscale, &*batching, &*router, &*supervision, &reader})
    step(s->finish());
  if (err)
    return err;
  auto kind = parse_balancing_kind(balancing);
  if (!kind)
    return kind.error();
  o.router.balancing = *kind;
  b.preferred_sizes.clear();
  for (auto& p : preferred) {
    char* end = nullptr;
    auto n = std::strtoul(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || n == 0 || n > 1u << 20)
      return caf::make_error(serving_errc::bad_option, reader.where("batching.preferred_sizes") +
                                                           ": expected positive integers");
    b.preferred_sizes.push_back(static_cast<uint32_t>(n));
  }
  if (o.router.canary_percent > 100)
    return caf::make_error(serving_errc::bad_option,
                           reader.where("router.canary_percent") + ": expected 0..100");
  return caf::none;
}

caf::expected<std::shared_ptr<model_service>>
model_service::start(caf::actor_system& sys, serving_options options,
                     runtime::runtime_services services, std::shared_ptr<serving_metrics> metrics) {
  if (options.model_dir.empty())
    return caf::make_error(serving_errc::bad_option, "no model directory given");
  auto newest = models::newest_version(options.model_dir);
  if (!newest)
    return newest.error();
  // Validate the newest version the way a replica will load it.
  auto probe = models::model_runner::load(options.model_dir, *newest, options.replica.runner);
  if (!probe)
    return probe.error();
  std::shared_ptr<model_service> svc{new model_service};
  if (options.name.empty())
    options.name =
        probe->metadata().name.empty() ? probe->metadata().architecture : probe->metadata().name;
  svc->prep_ = probe->prep();
  svc->classes_ = probe->classes();
  auto& a = options.autoscale;
  if (a.min_replicas == 0 && a.max_replicas == 0)
    a.min_replicas = a.max_replicas = options.replicas;
  a.max_replicas = std::max({a.max_replicas, a.min_replicas, options.replicas, 1u});
  a.min_replicas = std::min(a.min_replicas, options.replicas);
  options.replica.model_dir = options.router.model_dir = options.model_dir;
  options.replica.model_name = options.router.model_name = options.name;
  svc->options_ = options;
  svc->services_ = services;
  svc->path_ = "serving/" + options.name;

  auto path = svc->path_;
  auto router_opts = options.router;
  auto replica_opts = options.replica;
  auto scale_opts = options.autoscale;
  auto initial = options.replicas;
  runtime::supervisor_spec pool{"replicas", runtime::strategy::simple_one_for_one};
  pool.intensity = options.supervision.intensity;
  pool.backoff = options.supervision.backoff;
  pool.add(runtime::worker(
      "replica", [=](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
        auto router = ctx.services.names->get(path + "/router");
        if (!router)
          return caf::make_error(runtime::runtime_errc::start_failed, "no router at " + path);
        return spawn_replica(ctx.system, replica_opts, ctx.id, router, metrics);
      }));
  runtime::supervisor_spec root = options.supervision;
  root.name = path;
  root.restart_strategy = runtime::strategy::rest_for_one;
  root.children.clear();
  root.add(runtime::worker("router",
                           [=](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
                             return spawn_router(ctx.system, router_opts, metrics);
                           }))
      .add(runtime::supervisor(pool))
      .add(runtime::worker(
          "autoscaler", [=](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
            auto router = ctx.services.names->get(path + "/router");
            auto replicas = ctx.services.names->get(path + "/replicas");
            if (!router || !replicas)
              return caf::make_error(runtime::runtime_errc::start_failed,
                                     "no router or replica pool at " + path);
            return spawn_autoscaler(ctx.system, scale_opts, initial, router, replicas);
          }));
  svc->sys_ = &sys;
  svc->root_ = runtime::spawn_supervisor(sys, root, services, path);
  return svc;
}

model_service::~model_service() {
  stop();
}

caf::actor model_service::router() const {
  return services_.names ? services_.names->get(path_ + "/router") : caf::actor{};
}

caf::expected<router_stats> model_service::await_ready(uint32_t replicas,
                                                       std::chrono::milliseconds timeout) {
  if (!root_)
    return caf::make_error(serving_errc::no_replica, path_ + " is stopped");
  caf::scoped_actor self{*sys_};
  caf::expected<router_stats> out{caf::make_error(serving_errc::no_replica, path_)};
  // The supervisor answers once it has started its children, so the router is registered.
  self->request(root_, timeout, which_children_atom::value)
      .receive([](std::vector<child_info>&) {}, [&](caf::error& err) { out = err; });
  auto entry = router();
  if (!entry)
    return out;
  self->request(entry, timeout, await_ready_atom::value, replicas)
      .receive([&](router_stats& s) { out = s; }, [&](caf::error& err) { out = err; });
  return out;
}

void model_service::stop() {
  if (root_) {
    caf::anon_send_exit(root_, caf::exit_reason::user_shutdown);
    root_ = nullptr;
  }
}

} // namespace dmlp::serving
