#include "apps/jobs/trainer_role.hpp"

#include <nlohmann/json.hpp>

#include "actors/training/errors.hpp"
#include "runtime/cluster/shared_names.hpp"
#include "runtime/services.hpp"

namespace dmlp::training {

namespace {

nlohmann::json to_json(const optimizer_options& o) {
  return {{"kind", o.kind},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"epsilon", o.epsilon},
          {"decay_epochs", o.decay_epochs},
          {"decay_rate", o.decay_rate},
          {"base_batch", o.base_batch},
          {"linear_scaling", o.linear_scaling}};
}

void from_json(const nlohmann::json& j, optimizer_options& o) {
  j.at("kind").get_to(o.kind);
  j.at("lr").get_to(o.lr);
  j.at("momentum").get_to(o.momentum);
  j.at("beta1").get_to(o.beta1);
  j.at("beta2").get_to(o.beta2);
  j.at("epsilon").get_to(o.epsilon);
  j.at("decay_epochs").get_to(o.decay_epochs);
  j.at("decay_rate").get_to(o.decay_rate);
  j.at("base_batch").get_to(o.base_batch);
  j.at("linear_scaling").get_to(o.linear_scaling);
}

std::string last_component(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::string encode_trainer_args(const trainer_options& o) {
  nlohmann::json j{{"architecture", o.architecture},
                   {"seed", o.seed},
                   {"threads", o.threads},
                   {"strategy", o.kind == strategy::ps ? "ps" : "allreduce"},
                   {"consistency", to_string(o.mode)},
                   {"window", o.window},
                   {"bucket_elems", o.bucket_elems},
                   {"idle_timeout_ms", o.idle_timeout.count()},
                   {"request_timeout_ms", o.request_timeout.count()},
                   {"retry_interval_ms", o.retry_interval.count()},
                   {"push_delay_ms", o.push_delay.count()},
                   {"slow_trainer", o.slow_trainer},
                   {"optimizer", to_json(o.optimizer)},
                   {"coordinator_path", o.coordinator_path},
                   {"master_path", o.master_path},
                   {"shard_paths", o.shard_paths},
                   {"shard_sizes", o.shard_sizes}};
  return j.dump();
}

caf::expected<trainer_options> decode_trainer_args(const std::string& text) {
  auto bad = [](const std::string& what) {
    return caf::make_error(training_errc::invalid_option, "trainer arguments: " + what);
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad("not a JSON object");
  trainer_options o;
  try {
    j.at("architecture").get_to(o.architecture);
    j.at("seed").get_to(o.seed);
    j.at("threads").get_to(o.threads);
    auto kind = j.at("strategy").get<std::string>();
    if (kind != "ps" && kind != "allreduce")
      return bad("strategy must be allreduce or ps, not " + kind);
    o.kind = kind == "ps" ? strategy::ps : strategy::allreduce;
    if (!parse_consistency(j.at("consistency").get<std::string>(), o.mode))
      return bad("consistency must be sync, async or ssp");
    j.at("window").get_to(o.window);
    j.at("bucket_elems").get_to(o.bucket_elems);
    o.idle_timeout = std::chrono::milliseconds{j.at("idle_timeout_ms").get<int64_t>()};
    o.request_timeout = std::chrono::milliseconds{j.at("request_timeout_ms").get<int64_t>()};
    o.retry_interval = std::chrono::milliseconds{j.at("retry_interval_ms").get<int64_t>()};
    o.push_delay = std::chrono::milliseconds{j.at("push_delay_ms").get<int64_t>()};
    j.at("slow_trainer").get_to(o.slow_trainer);
    from_json(j.at("optimizer"), o.optimizer);
    j.at("coordinator_path").get_to(o.coordinator_path);
    j.at("master_path").get_to(o.master_path);
    j.at("shard_paths").get_to(o.shard_paths);
    j.at("shard_sizes").get_to(o.shard_sizes);
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (o.shard_paths.size() != o.shard_sizes.size())
    return bad("shard_paths and shard_sizes differ in length");
  if (o.threads == 0 || o.window == 0 || o.bucket_elems == 0)
    return bad("threads, window and bucket_elems must be positive");
  return o;
}

void register_trainer_role(runtime::role_registry& roles, std::shared_ptr<spdlog::logger> log,
                           trainer_node_settings node) {
  roles.add(
      trainer_role_name,
      [log, node](caf::actor_system& sys, const spawn_request& req) -> caf::expected<caf::actor> {
        auto options = decode_trainer_args(req.args);
        if (!options)
          return options.error();
        options->direct_link = node.direct_link;
        options->link_host = node.link_host;
        auto services = runtime::make_services(sys, log);
        services.names = runtime::mirror_registry(req);
        runtime::start_context ctx{sys,     req.owner,    req.path, last_component(req.path), 0, {},
                                   nullptr, std::nullopt, services};
        auto child = trainer_start(*options)(ctx);
        if (child)
          runtime::keep_mirror_fresh(sys, services.names, req, *child, options->retry_interval * 2);
        return child;
      });
}

} // namespace dmlp::training
