#include "runtime/supervisor.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"
#include "runtime/logging.hpp"

namespace dmlp::runtime {

namespace {

using clock_type = std::chrono::steady_clock;

struct child_record {
  child_spec spec;
  caf::message args;
  caf::actor handle;
  child_state state = child_state::stopped;
  uint32_t restarts = 0;
  uint32_t consecutive_failures = 0;
  clock_type::time_point started_at;
  // Set for temporary children and deleted pool members: drop the record once stopped.
  bool remove_when_stopped = false;
};

// One step of a restart or shutdown sequence. Stops wait for the child's exit; everything
// else completes at once. Steps run strictly one after another.
struct step {
  enum class kind { stop, start, arm_restart, reply, quit } what;
  std::vector<std::string> children;
  std::chrono::milliseconds delay{0};
  caf::error reason;
  caf::response_promise promise;
};

struct supervisor_state {
  supervisor_spec spec;
  runtime_services services;
  std::string path;
  std::vector<child_record> children;
  std::deque<step> steps;
  // Set while a stop step waits for its child's exit.
  caf::actor_addr awaited;
  uint64_t timer_token = 0;
  std::map<uint64_t, std::vector<std::string>> restart_groups;
  std::optional<restart_intensity_tracker> intensity;
  std::optional<backoff_policy> backoff;
  bool shutting_down = false;
  uint32_t pool_counter = 0;
  actor_log log;
  // Running children; shared with the functor that kills them if we are killed.
  std::shared_ptr<std::map<caf::actor_addr, caf::actor>> live =
      std::make_shared<std::map<caf::actor_addr, caf::actor>>();

  static inline const char* name = "dmlp.supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

clock_type::time_point now(supervisor_actor* self) {
  return self->clock().now();
}

child_record* find(supervisor_actor* self, const std::string& id) {
  for (auto& c : self->state.children)
    if (c.spec.id == id)
      return &c;
  return nullptr;
}

child_record* find(supervisor_actor* self, const caf::actor_addr& addr) {
  if (!addr)
    return nullptr;
  for (auto& c : self->state.children)
    if (c.handle && c.handle.address() == addr)
      return &c;
  return nullptr;
}

size_t index_of(supervisor_actor* self, const child_record& c) {
  return static_cast<size_t>(&c - self->state.children.data());
}

void publish(supervisor_actor* self, supervision_event_kind kind, const child_record* child,
             const std::string& reason) {
  auto& st = self->state;
  supervision_event event;
  event.kind = kind;
  event.supervisor = st.path;
  if (child) {
    event.child = child->spec.id;
    event.actor_id = child->handle ? child->handle.id() : 0;
    event.restarts = child->restarts;
  }
  event.reason = reason;
  event.at_ns = now_ns();
  if (child)
    st.log.debug("child {} {}{}{}", child->spec.id, to_string(kind), reason.empty() ? "" : ": ",
                 reason);
  else
    st.log.info("{}{}{}", to_string(kind), reason.empty() ? "" : ": ", reason);
  if (st.services.events)
    self->send(st.services.events, std::move(event));
}

void remove_record(supervisor_actor* self, const std::string& id) {
  auto& children = self->state.children;
  for (auto i = children.begin(); i != children.end(); ++i)
    if (i->spec.id == id) {
      children.erase(i);
      return;
    }
}

// Starts one child now. On failure the record stays stopped and the error is returned.
caf::error start_now(supervisor_actor* self, child_record& c, bool is_restart) {
  auto& st = self->state;
  start_context ctx{self->system(),
                    caf::actor_cast<caf::actor>(self),
                    st.path + "/" + c.spec.id,
                    c.spec.id,
                    c.restarts,
                    c.args,
                    c.spec.snapshots,
                    std::nullopt,
                    st.services};
  if (c.spec.snapshots) {
    auto loaded = c.spec.snapshots->load(ctx.path);
    if (!loaded) {
      publish(self, supervision_event_kind::start_failed, &c, describe(loaded.error()));
      return loaded.error();
    }
    ctx.snapshot = std::move(*loaded);
  }
  caf::expected<caf::actor> started = caf::make_error(runtime_errc::start_failed, "no factory");
  if (c.spec.start)
    started = c.spec.start(ctx);
  if (started && !*started)
    started = caf::make_error(runtime_errc::start_failed, "factory returned an invalid actor");
  if (!started) {
    publish(self, supervision_event_kind::start_failed, &c, describe(started.error()));
    return started.error();
  }
  c.handle = std::move(*started);
  c.state = child_state::running;
  c.started_at = now(self);
  self->monitor(c.handle);
  st.live->emplace(c.handle.address(), c.handle);
  if (st.services.names)
    st.services.names->put(ctx.path, c.handle);
  publish(self, is_restart ? supervision_event_kind::restarted : supervision_event_kind::started,
          &c, "");
  return caf::none;
}

// A new member of a simple_one_for_one pool; an empty id becomes "<template>-<n>".
child_record make_pool_record(supervisor_actor* self, std::string id, caf::message args = {}) {
  auto& st = self->state;
  child_record record{
      st.spec.children.front(), std::move(args), {}, child_state::stopped, 0, 0, {}, false};
  record.spec.id = id.empty() ? record.spec.id + "-" + std::to_string(++st.pool_counter) : id;
  return record;
}

void advance(supervisor_actor* self);
void escalate(supervisor_actor* self);

// Arms the back-off timer after which `ids` are started again.
void arm_restart(supervisor_actor* self, std::vector<std::string> ids,
                 std::chrono::milliseconds delay) {
  auto& st = self->state;
  auto token = ++st.timer_token;
  st.restart_groups.emplace(token, std::move(ids));
  if (delay.count() == 0)
    self->send(self, restart_due_atom::value, token);
  else
    self->delayed_send(self, delay, restart_due_atom::value, token);
}

// Records one restart against the intensity; escalates and returns false when exceeded.
bool admit_restart(supervisor_actor* self) {
  if (self->state.intensity->admit(now(self)))
    return true;
  escalate(self);
  return false;
}

void run_start_step(supervisor_actor* self, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto* c = find(self, id);
    if (!c || c->state == child_state::running || c->state == child_state::stopping)
      continue;
    if (c->remove_when_stopped) {
      remove_record(self, id);
      continue;
    }
    c->restarts += 1;
    if (auto err = start_now(self, *c, true)) {
      c->restarts -= 1;
      c->state = child_state::restarting;
      c->consecutive_failures += 1;
      if (!admit_restart(self))
        return;
      arm_restart(self, {id}, self->state.backoff->delay(c->consecutive_failures));
    }
  }
}

// Sends the stop signal to one child; returns true when there is an exit to wait for.
bool run_stop_step(supervisor_actor* self, const std::string& id) {
  auto* c = find(self, id);
  if (!c || !c->handle)
    return false;
  c->state = child_state::stopping;
  self->state.awaited = c->handle.address();
  auto token = ++self->state.timer_token;
  if (c->spec.shutdown.brutal) {
    self->send_exit(c->handle, caf::exit_reason::kill);
  } else {
    self->send_exit(c->handle, caf::exit_reason::user_shutdown);
    self->delayed_send(self, c->spec.shutdown.timeout, shutdown_timeout_atom::value, token);
  }
  return true;
}

void advance(supervisor_actor* self) {
  auto& st = self->state;
  while (!st.awaited && !st.steps.empty()) {
    auto next = std::move(st.steps.front());
    st.steps.pop_front();
    switch (next.what) {
      case step::kind::stop:
        if (run_stop_step(self, next.children.front()))
          return;
        break;
      case step::kind::start:
        run_start_step(self, next.children);
        break;
      case step::kind::arm_restart:
        arm_restart(self, std::move(next.children), next.delay);
        break;
      case step::kind::reply:
        next.promise.deliver(caf::unit);
        break;
      case step::kind::quit:
        publish(self, supervision_event_kind::stopped, nullptr, describe(next.reason));
        self->quit(next.reason);
        return;
    }
  }
}

void enqueue_stop(supervisor_actor* self, child_record& c) {
  if (c.state == child_state::running)
    c.state = child_state::stopping;
  self->state.steps.push_back(step{step::kind::stop, {c.spec.id}, {}, {}, {}});
}

// Stops every child in reverse start order, then exits with `reason`.
void shut_down(supervisor_actor* self, caf::error reason) {
  auto& st = self->state;
  st.shutting_down = true;
  st.steps.clear();
  st.restart_groups.clear();
  for (auto i = st.children.rbegin(); i != st.children.rend(); ++i) {
    if (i->handle)
      enqueue_stop(self, *i);
    else
      i->state = child_state::stopped;
  }
  st.steps.push_back(step{step::kind::quit, {}, {}, std::move(reason), {}});
  advance(self);
}

void escalate(supervisor_actor* self) {
  auto& st = self->state;
  auto text = std::to_string(st.spec.intensity.max_restarts) + " restarts in " +
              std::to_string(st.spec.intensity.period.count()) + " ms exceeded";
  publish(self, supervision_event_kind::escalated, nullptr, text);
  st.log.warn("restart intensity exceeded ({}), escalating", text);
  shut_down(self, caf::make_error(runtime_errc::restart_intensity_exceeded, st.path + ": " + text));
}

void on_child_failure(supervisor_actor* self, child_record& failed, const caf::error& reason) {
  auto& st = self->state;
  if (!should_restart(failed.spec.restart, reason)) {
    failed.state = child_state::stopped;
    bool pool = st.spec.restart_strategy == strategy::simple_one_for_one;
    if (failed.spec.restart == restart_type::temporary || pool)
      remove_record(self, failed.spec.id);
    return;
  }
  if (st.backoff->recovered(now(self) - failed.started_at))
    failed.consecutive_failures = 0;
  failed.consecutive_failures += 1;
  if (!admit_restart(self))
    return;
  auto delay = st.backoff->delay(failed.consecutive_failures);
  auto plan = plan_restart(st.spec.restart_strategy, index_of(self, failed), st.children.size());
  failed.state = child_state::restarting;
  std::vector<std::string> restart_ids;
  for (auto i : plan.start) {
    auto& c = st.children[i];
    if (&c != &failed && c.spec.restart == restart_type::temporary)
      c.remove_when_stopped = true;
    restart_ids.push_back(c.spec.id);
  }
  for (auto i : plan.stop) {
    auto& c = st.children[i];
    if (c.handle)
      enqueue_stop(self, c);
  }
  st.steps.push_back(step{step::kind::arm_restart, std::move(restart_ids), delay, {}, {}});
  advance(self);
}

// An exit signal: our parent or an operator asks us to stop. (Children are monitored, not
// linked: in CAF a child killed with exit_reason::kill would take a linked supervisor with it.)
void on_exit(supervisor_actor* self, caf::exit_msg& msg) {
  if (!self->state.shutting_down && msg.reason != caf::exit_reason::normal)
    shut_down(self, msg.reason);
}

void on_down(supervisor_actor* self, caf::down_msg& msg) {
  auto& st = self->state;
  auto* c = find(self, msg.source);
  if (!c)
    return;
  st.live->erase(msg.source);
  auto reason_text = describe(msg.reason);
  if (st.services.names)
    st.services.names->erase(st.path + "/" + c->spec.id, c->handle);
  publish(self, supervision_event_kind::exited, c, reason_text);
  c->handle = nullptr;
  if (st.awaited && st.awaited == msg.source) {
    st.awaited = nullptr;
    c->state = child_state::stopped;
    if (c->remove_when_stopped)
      remove_record(self, c->spec.id);
    advance(self);
    return;
  }
  if (c->state == child_state::stopping || st.shutting_down) {
    // Already scheduled to stop: its exit completes that stop.
    c->state = child_state::stopped;
    if (c->remove_when_stopped)
      remove_record(self, c->spec.id);
    return;
  }
  on_child_failure(self, *c, msg.reason);
}

caf::behavior supervisor_behavior(supervisor_actor* self, supervisor_spec spec,
                                  runtime_services services, std::string path) {
  auto& st = self->state;
  st.path = path.empty() ? spec.name : std::move(path);
  st.services = std::move(services);
  st.log = actor_log{st.services.log, st.path};
  st.intensity.emplace(spec.intensity);
  st.backoff.emplace(spec.backoff, st.services.seed ^ std::hash<std::string>{}(st.path));
  st.spec = std::move(spec);
  bool pool = st.spec.restart_strategy == strategy::simple_one_for_one;
  if (!pool) {
    for (auto& child : st.spec.children)
      st.children.push_back(child_record{child, {}, {}, child_state::stopped, 0, 0, {}, false});
  } else if (st.spec.children.size() == 1) {
    for (uint32_t i = 0; i < st.spec.initial_members; ++i)
      st.children.push_back(make_pool_record(self, ""));
  }
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  // CAF's default error handler ends the actor: one stray error message (a late reply to a
  // request that already timed out) must not take a whole supervision tree down.
  self->set_error_handler([self](caf::error& err) {
    self->state.log.warn("ignored an error message: {}", describe(err));
  });
  // A supervisor that dies without its orderly shutdown (killed) takes its children along.
  self->attach_functor([live = st.live](const caf::error&) {
    for (auto& [addr, child] : *live)
      caf::anon_send_exit(child, caf::exit_reason::kill);
  });
  for (auto& c : st.children) {
    if (auto err = start_now(self, c, false)) {
      st.log.error("child {} failed to start: {}", c.spec.id, describe(err));
      shut_down(self, caf::make_error(runtime_errc::start_failed,
                                      st.path + "/" + c.spec.id + ": " + describe(err)));
      break;
    }
  }
  return {
      [self](which_children_atom) {
        std::vector<child_info> result;
        for (const auto& c : self->state.children)
          result.push_back(child_info{c.spec.id, c.handle, c.spec.kind, c.state, c.restarts});
        return result;
      },
      [self](count_children_atom) {
        child_counts counts;
        for (const auto& c : self->state.children) {
          counts.specs += 1;
          counts.active += c.handle ? 1 : 0;
          (c.spec.kind == child_kind::supervisor ? counts.supervisors : counts.workers) += 1;
        }
        return counts;
      },
      [self](start_child_atom, std::string id, caf::message args) -> caf::result<caf::actor> {
        auto& st = self->state;
        if (st.spec.restart_strategy != strategy::simple_one_for_one ||
            st.spec.children.size() != 1)
          return caf::make_error(runtime_errc::wrong_strategy,
                                 "start_child needs a simple_one_for_one pool with one template");
        if (st.shutting_down)
          return caf::make_error(caf::sec::request_receiver_down, st.path + " is shutting down");
        if (!id.empty() && find(self, id))
          return caf::make_error(runtime_errc::duplicate_child, st.path + "/" + id);
        st.children.push_back(make_pool_record(self, std::move(id), std::move(args)));
        id = st.children.back().spec.id;
        auto& c = st.children.back();
        if (auto err = start_now(self, c, false)) {
          remove_record(self, id);
          return err;
        }
        return c.handle;
      },
      [self](terminate_child_atom, const std::string& id) -> caf::result<void> {
        auto& st = self->state;
        auto* c = find(self, id);
        if (!c)
          return caf::make_error(runtime_errc::unknown_child, st.path + "/" + id);
        if (st.spec.restart_strategy == strategy::simple_one_for_one)
          c->remove_when_stopped = true;
        for (auto& [token, ids] : st.restart_groups)
          ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
        if (c->handle) {
          enqueue_stop(self, *c);
        } else {
          c->state = child_state::stopped;
          if (c->remove_when_stopped)
            remove_record(self, id);
        }
        auto promise = self->make_response_promise();
        st.steps.push_back(step{step::kind::reply, {}, {}, {}, promise});
        advance(self);
        return caf::delegated<void>{};
      },
      [self](restart_child_atom, const std::string& id) -> caf::result<caf::actor> {
        auto* c = find(self, id);
        if (!c)
          return caf::make_error(runtime_errc::unknown_child, self->state.path + "/" + id);
        if (c->state != child_state::stopped)
          return caf::make_error(runtime_errc::duplicate_child, id + " is not stopped");
        if (auto err = start_now(self, *c, true))
          return err;
        return c->handle;
      },
      [self](delete_child_atom, const std::string& id) -> caf::result<void> {
        auto* c = find(self, id);
        if (!c)
          return caf::make_error(runtime_errc::unknown_child, self->state.path + "/" + id);
        if (c->state != child_state::stopped)
          return caf::make_error(runtime_errc::duplicate_child, id + " is not stopped");
        remove_record(self, id);
        return caf::unit;
      },
      [self](restart_due_atom, uint64_t token) {
        auto& st = self->state;
        auto i = st.restart_groups.find(token);
        if (i == st.restart_groups.end() || st.shutting_down)
          return;
        auto ids = std::move(i->second);
        st.restart_groups.erase(i);
        st.steps.push_back(step{step::kind::start, std::move(ids), {}, {}, {}});
        advance(self);
      },
      [self](shutdown_timeout_atom, uint64_t token) {
        auto& st = self->state;
        if (!st.awaited || token != st.timer_token)
          return;
        if (auto* c = find(self, st.awaited)) {
          st.log.warn("child {} ignored shutdown for {} ms, killing it", c->spec.id,
                      c->spec.shutdown.timeout.count());
          self->send_exit(c->handle, caf::exit_reason::kill);
        }
      },
  };
}

} // namespace

child_spec worker(std::string id, start_function start) {
  child_spec spec;
  spec.id = std::move(id);
  spec.start = std::move(start);
  spec.kind = child_kind::worker;
  return spec;
}

child_spec supervisor(supervisor_spec spec) {
  child_spec child;
  child.id = spec.name;
  child.kind = child_kind::supervisor;
  child.shutdown = shutdown_spec::after(std::chrono::seconds{30});
  child.start = [spec](const start_context& ctx) -> caf::expected<caf::actor> {
    return spawn_supervisor(ctx.system, spec, ctx.services, ctx.path);
  };
  return child;
}

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec, runtime_services services,
                            std::string path) {
  return sys.spawn(supervisor_behavior, std::move(spec), std::move(services), std::move(path));
}

} // namespace dmlp::runtime
