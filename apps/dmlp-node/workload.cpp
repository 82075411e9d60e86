#include "apps/dmlp-node/workload.hpp"

#include <map>
#include <optional>

#include <caf/all.hpp>

#include "messages/type_ids.hpp"
#include "runtime/cluster/placement.hpp"
#include "runtime/cluster/remote_child.hpp"
#include "runtime/cluster/singleton_policy.hpp"
#include "runtime/errors.hpp"

namespace dmlp::node {

namespace {

struct driver_state {
  workload_options options;
  caf::actor pool;
  uint64_t completed = 0;
  uint64_t failed = 0;
  // child id -> node of its last answer
  std::map<std::string, std::string> placements;
  bool starting = false;
  static inline const char* name = "dmlp.workload_driver";
};

using driver_actor = caf::stateful_actor<driver_state>;

caf::behavior driver(driver_actor* self, workload_options options, caf::actor pool) {
  self->state.options = std::move(options);
  self->state.pool = std::move(pool);
  self->send(self, cl_tick_atom::value);
  return {
      [self](cl_tick_atom) {
        auto& st = self->state;
        auto timeout = st.options.period * 5;
        self->request(st.pool, timeout, which_children_atom::value)
            .then(
                [self, timeout](std::vector<child_info>& children) {
                  auto& st = self->state;
                  std::set<std::string> ids;
                  for (auto& c : children) {
                    ids.insert(c.id);
                    if (!c.handle)
                      continue;
                    self->request(c.handle, timeout, cl_work_atom::value, st.completed + 2)
                        .then(
                            [self, id = c.id](uint64_t, const std::string& node) {
                              self->state.completed += 1;
                              self->state.placements[id] = node;
                            },
                            [self](const caf::error&) { self->state.failed += 1; });
                  }
                  if (ids.size() >= st.options.replicas || st.starting)
                    return;
                  uint32_t k = 1;
                  while (ids.count(st.options.role + "-" + std::to_string(k)) > 0)
                    ++k;
                  st.starting = true;
                  self->request(st.pool, timeout * 4, start_child_atom::value,
                                st.options.role + "-" + std::to_string(k), caf::message{})
                      .then([self](const caf::actor&) { self->state.starting = false; },
                            [self](const caf::error&) { self->state.starting = false; });
                },
                [](const caf::error&) {});
        self->delayed_send(self, st.options.period, cl_tick_atom::value);
      },
      [self](cl_wstats_atom) {
        auto& st = self->state;
        std::vector<std::string> placements;
        for (const auto& [id, node] : st.placements)
          placements.push_back(id + "@" + node);
        return caf::make_message(st.completed, st.failed, std::move(placements));
      },
  };
}

} // namespace

void register_demo_roles(runtime::role_registry& roles, const std::string& node_name) {
  roles.add(
      "squarer",
      [node_name](caf::actor_system& sys, const spawn_request&) -> caf::expected<caf::actor> {
        return sys.spawn([node_name]() -> caf::behavior {
          return {
              [node_name](cl_work_atom, uint64_t x) { return caf::make_message(x * x, node_name); },
          };
        });
      });
}

namespace {

caf::expected<runtime::supervisor_spec> workload_spec(const workload_options& options,
                                                      std::shared_ptr<runtime::cluster_view> view,
                                                      caf::actor agent) {
  auto where = runtime::parse_placement(options.placement);
  if (!where)
    return where.error();
  runtime::supervisor_spec pool{"pool", runtime::strategy::simple_one_for_one};
  pool.with_intensity(100, std::chrono::seconds{10})
      .with_backoff(runtime::backoff_options{std::chrono::milliseconds{50},
                                             std::chrono::milliseconds{1000}, 0.2,
                                             std::chrono::seconds{5}})
      .add(runtime::remote_worker(options.role, options.role, *where, view));
  runtime::supervisor_spec tree{"workload", runtime::strategy::rest_for_one};
  tree.add(runtime::supervisor(pool));
  tree.add(runtime::worker(
      "driver", [options, agent](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
        auto pool = ctx.services.names->get(ctx.path.substr(0, ctx.path.rfind('/')) + "/pool");
        if (!pool)
          return caf::make_error(runtime::runtime_errc::start_failed, "workload pool not running");
        auto handle = ctx.system.spawn(driver, options, pool);
        caf::anon_send(agent, cl_reg_atom::value, std::string{"workload"}, handle);
        return handle;
      }));
  return tree;
}

struct keeper_state {
  runtime::supervisor_spec spec;
  keeper_options options;
  std::shared_ptr<runtime::cluster_view> view;
  caf::actor agent;
  runtime::runtime_services services;
  std::string path;
  std::chrono::steady_clock::time_point started;
  caf::actor subtree;
  // Set when the keeper was told to exit: it quits once the subtree stopped.
  std::optional<caf::error> stopping;
  static inline const char* name = "dmlp.workload_keeper";
};

using keeper_actor = caf::stateful_actor<keeper_state>;

void log_info(keeper_actor* self, const std::string& line) {
  if (self->state.services.log)
    self->state.services.log->info("workload keeper: {}", line);
}

void check(keeper_actor* self, const cluster_status& status) {
  auto& st = self->state;
  runtime::singleton_view v;
  v.self = st.view->self_name();
  v.hosting = static_cast<bool>(st.subtree);
  bool joined = !st.options.has_seeds;
  for (const auto& m : status.nodes)
    joined = joined || (m.name != v.self && m.state == member_state::up);
  v.settled = joined && std::chrono::steady_clock::now() - st.started >= st.options.grace;
  v.members = status.nodes;
  v.names = status.names;
  switch (runtime::decide_singleton("workload", workload_keeper_label, v)) {
    case runtime::singleton_action::start:
      log_info(self, "no live node hosts the workload: starting it here");
      st.subtree =
          runtime::spawn_supervisor(self->system(), st.spec, st.services, st.path + "/workload");
      // Linked: a keeper killed outright takes its copy along (no orphaned second copy).
      self->link_to(st.subtree);
      // A root of its own: `dmlp chaos kill` walks every tree registered as "tree/<path>".
      self->send(st.agent, cl_reg_atom::value, "tree/" + st.path + "/workload", st.subtree);
      break;
    case runtime::singleton_action::stop:
      log_info(self, "a lower-named node hosts the workload too: stopping this copy");
      self->unlink_from(st.subtree);
      self->send_exit(st.subtree, caf::exit_reason::user_shutdown);
      st.subtree = nullptr;
      break;
    case runtime::singleton_action::keep:
    case runtime::singleton_action::stand_by:
      break;
  }
}

caf::behavior keeper(keeper_actor* self, runtime::supervisor_spec spec, keeper_options options,
                     std::shared_ptr<runtime::cluster_view> view, caf::actor agent,
                     runtime::runtime_services services, std::string path) {
  auto& st = self->state;
  st.spec = std::move(spec);
  st.options = options;
  st.view = std::move(view);
  st.agent = std::move(agent);
  st.services = std::move(services);
  st.path = std::move(path);
  st.started = std::chrono::steady_clock::now();
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.subtree && msg.source == st.subtree.address()) {
      // The subtree gave up (restart intensity) or stopped: the next check starts it again if
      // this node is still the one chosen.
      st.subtree = nullptr;
      if (st.stopping)
        self->quit(*st.stopping);
      return;
    }
    if (!st.subtree) {
      self->quit(msg.reason);
      return;
    }
    st.stopping = msg.reason;
    self->send_exit(st.subtree, msg.reason);
  });
  self->send(self, cl_tick_atom::value);
  return {
      [self](cl_tick_atom) {
        auto& st = self->state;
        if (st.stopping)
          return;
        self->request(st.agent, st.options.check_every * 5, cl_status_atom::value)
            .then([self](const cluster_status& status) { check(self, status); },
                  [](const caf::error&) {});
        self->delayed_send(self, st.options.check_every, cl_tick_atom::value);
      },
  };
}

} // namespace

caf::expected<runtime::child_spec> workload_keeper(const workload_options& options,
                                                   keeper_options keeper_opts,
                                                   std::shared_ptr<runtime::cluster_view> view,
                                                   caf::actor agent) {
  auto spec = workload_spec(options, view, agent);
  if (!spec)
    return spec.error();
  return runtime::worker("workload-keeper",
                         [spec = *spec, keeper_opts, view,
                          agent](const runtime::start_context& ctx) -> caf::expected<caf::actor> {
                           return ctx.system.spawn(keeper, spec, keeper_opts, view, agent,
                                                   ctx.services, ctx.path);
                         });
}

} // namespace dmlp::node
