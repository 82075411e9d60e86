#include "runtime/cluster/node_agent.hpp"

#include <map>
#include <optional>
#include <random>
#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/advertised_host.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/membership.hpp"
#include "runtime/cluster/node_capacity.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/logging.hpp"

namespace dmlp::runtime {

namespace {

using clock_type = std::chrono::steady_clock;

struct hosted_record {
  hosted_child child;
  caf::actor_addr owner;
};

struct agent_state {
  node_agent_config cfg;
  std::optional<membership> table;
  std::mt19937_64 rng;
  actor_log log;
  caf::io::middleman_actor connector;
  std::map<caf::actor_addr, hosted_record> hosted;
  std::map<caf::actor_addr, std::pair<std::string, uint64_t>> member_agents;
  std::map<std::string, caf::actor> names;
  std::vector<caf::actor> subscribers;
  std::set<std::string> probing;
  std::set<std::string> warned_seeds;
  clock_type::time_point last_probe;
  clock_type::time_point last_tick;
  bool leaving = false;

  static inline const char* name = "dmlp.node_agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

uint64_t new_epoch(std::mt19937_64& rng) {
  uint64_t e = 0;
  while (e == 0)
    e = rng() >> 1;
  return e;
}

member_info self_info(agent_actor* self) {
  auto& st = self->state;
  auto info = st.table->self();
  info.hosted = static_cast<uint32_t>(st.hosted.size());
  info.agent = caf::actor_cast<caf::actor>(self);
  return info;
}

std::string address_of(const member_info& m) {
  return m.host + ":" + std::to_string(m.port);
}

void publish_view(agent_actor* self) {
  auto& st = self->state;
  st.table->update_self(self_info(self));
  std::vector<cluster_name> own;
  for (const auto& [name, handle] : st.names)
    own.push_back(cluster_name{name, handle, st.cfg.options.name});
  st.table->set_self_names(std::move(own));
  st.cfg.view->update(st.table->members());
}

void handle_events(agent_actor* self, const std::vector<membership_event>& events) {
  auto& st = self->state;
  for (const auto& ev : events) {
    const auto& m = ev.node;
    auto line = fmt::format("node {} ({}, epoch {}) {} -> {}", m.name, address_of(m), m.epoch,
                            to_string(ev.previous), to_string(m.state));
    if (m.state == member_state::down)
      st.log.warn("{}", line);
    else
      st.log.info("{}", line);
    if (m.state == member_state::up && m.agent)
      if (st.member_agents.emplace(m.agent.address(), std::make_pair(m.name, m.epoch)).second)
        self->monitor(m.agent);
    for (const auto& sub : st.subscribers)
      self->send(sub, ev);
  }
  if (!events.empty())
    publish_view(self);
}

void kill_hosted(agent_actor* self, const caf::actor_addr& owner_or_all) {
  auto& st = self->state;
  for (auto i = st.hosted.begin(); i != st.hosted.end();) {
    if (!owner_or_all || i->second.owner == owner_or_all) {
      st.log.info("stopping hosted {} ({}): its supervisor is gone", i->second.child.path,
                  i->second.child.role);
      self->send_exit(i->second.child.handle, caf::exit_reason::kill);
      i = st.hosted.erase(i);
    } else {
      ++i;
    }
  }
}

void send_join(agent_actor* self, const caf::actor& target, const std::string& where);
void reincarnate(agent_actor* self);

// Connects to a seed (asynchronously) and asks it to let us in.
void probe_seed(agent_actor* self, const std::string& seed) {
  auto& st = self->state;
  auto addr = parse_address(seed);
  if (!addr || st.probing.count(seed) > 0)
    return;
  st.probing.insert(seed);
  self->request(st.connector, st.cfg.options.request_timeout, caf::connect_atom::value, addr->first,
                addr->second)
      .then(
          [self, seed](const caf::node_id&, caf::strong_actor_ptr& ptr,
                       const std::set<std::string>&) {
            self->state.probing.erase(seed);
            self->state.warned_seeds.erase(seed);
            auto agent = caf::actor_cast<caf::actor>(ptr);
            if (agent && agent != caf::actor_cast<caf::actor>(self))
              send_join(self, agent, seed);
          },
          [self, seed](caf::error& err) {
            auto& st = self->state;
            st.probing.erase(seed);
            // Warn once per seed until it answers again; retries stay quiet.
            if (st.warned_seeds.insert(seed).second)
              st.log.warn("join through {} failed: cannot connect: {}", seed, describe(err));
          });
}

void send_join(agent_actor* self, const caf::actor& target, const std::string& where) {
  auto& st = self->state;
  join_request req{self_info(self), st.cfg.options.token};
  auto epoch = st.table->self().epoch;
  self->request(target, st.cfg.options.request_timeout, cl_join_atom::value, std::move(req))
      .then(
          [self, epoch, where](std::vector<member_info>& view) {
            auto& st = self->state;
            if (st.table->self().epoch != epoch)
              return;
            std::vector<membership_event> events;
            for (auto& m : view)
              if (m.state == member_state::up && address_of(m) == where)
                for (auto& ev : st.table->admit(m, clock_type::now()))
                  events.push_back(std::move(ev));
            st.table->merge(view, clock_type::now(), events);
            handle_events(self, events);
          },
          [self, epoch, where](caf::error& err) {
            auto& st = self->state;
            st.log.warn("join through {} refused or failed: {}", where, describe(err));
            if (err == cluster_errc::stale_incarnation && st.table->self().epoch == epoch)
              reincarnate(self);
          });
}

void probe_missing_seeds(agent_actor* self) {
  auto& st = self->state;
  std::set<std::string> alive;
  for (const auto& m : st.table->members())
    if (m.state == member_state::up || m.state == member_state::suspect)
      alive.insert(address_of(m));
  for (const auto& seed : st.cfg.options.seeds)
    if (alive.count(seed) == 0)
      probe_seed(self, seed);
}

void reincarnate(agent_actor* self) {
  auto& st = self->state;
  auto known = st.table->members();
  auto old_epoch = st.table->self().epoch;
  auto epoch = new_epoch(st.rng);
  st.log.warn("the cluster declared incarnation {} down; stopping {} hosted actors and "
              "rejoining as incarnation {}",
              old_epoch, st.hosted.size(), epoch);
  kill_hosted(self, caf::actor_addr{});
  for (const auto& [addr, who] : st.member_agents)
    self->demonitor(addr);
  st.member_agents.clear();
  st.table->reincarnate(epoch, clock_type::now());
  publish_view(self);
  for (const auto& m : known)
    if (m.name != st.cfg.options.name && m.agent && m.state != member_state::left)
      send_join(self, m.agent, address_of(m));
  probe_missing_seeds(self);
}

void on_tick(agent_actor* self) {
  auto& st = self->state;
  if (st.leaving)
    return;
  auto now = clock_type::now();
  // Paused (SIGSTOP, a VM freeze) for longer than down_after: the others declared this
  // incarnation down meanwhile, so rejoin as a new one instead of declaring them all down.
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(now - st.last_tick);
  bool paused =
      st.last_tick != clock_type::time_point{} && gap > st.cfg.options.detector.down_after;
  st.last_tick = now;
  if (paused) {
    st.log.warn("paused for {} ms (> down_after)", gap.count());
    reincarnate(self);
  }
  handle_events(self, st.table->tick(now));
  if (st.table->self_declared_down())
    reincarnate(self);
  publish_view(self);
  node_heartbeat hb{self_info(self), st.table->members(), st.table->names()};
  hb.names.erase(
      std::remove_if(hb.names.begin(), hb.names.end(),
                     [&](const cluster_name& n) { return n.node != st.cfg.options.name; }),
      hb.names.end());
  for (const auto& m : hb.view)
    if (m.name != st.cfg.options.name && m.agent && m.state != member_state::down &&
        m.state != member_state::left)
      self->send(m.agent, cl_beat_atom::value, hb);
  if (now - st.last_probe >= st.cfg.options.seed_retry) {
    st.last_probe = now;
    probe_missing_seeds(self);
  }
  self->delayed_send(self, st.cfg.options.detector.heartbeat_interval, cl_tick_atom::value);
}

void on_down(agent_actor* self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto now = clock_type::now();
  if (auto i = st.member_agents.find(msg.source); i != st.member_agents.end()) {
    auto [name, epoch] = i->second;
    st.member_agents.erase(i);
    st.log.info("lost connection to node {} ({})", name, describe(msg.reason));
    handle_events(self, st.table->mark_down(name, epoch, now));
  }
  if (auto i = st.hosted.find(msg.source); i != st.hosted.end()) {
    st.log.info("hosted {} exited: {}", i->second.child.path, describe(msg.reason));
    st.hosted.erase(i);
  }
  for (const auto& [addr, rec] : st.hosted)
    if (rec.owner == msg.source) {
      kill_hosted(self, msg.source);
      break;
    }
  for (auto i = st.names.begin(); i != st.names.end();)
    i = i->second.address() == msg.source ? st.names.erase(i) : std::next(i);
  for (auto i = st.subscribers.begin(); i != st.subscribers.end();)
    i = i->address() == msg.source ? st.subscribers.erase(i) : std::next(i);
}

void leave(agent_actor* self, const caf::error& reason) {
  auto& st = self->state;
  st.leaving = true;
  st.log.info("leaving the cluster ({} hosted actors stop)", st.hosted.size());
  kill_hosted(self, caf::actor_addr{});
  for (const auto& m : st.table->members())
    if (m.name != st.cfg.options.name && m.agent &&
        (m.state == member_state::up || m.state == member_state::suspect))
      self->send(m.agent, cl_leave_atom::value, st.cfg.options.name, st.table->self().epoch);
  self->quit(reason);
}

caf::behavior agent_behavior(agent_actor* self, node_agent_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.rng.seed(st.cfg.seed != 0 ? st.cfg.seed : std::random_device{}());
  st.log = actor_log{st.cfg.log, "agent"};
  st.connector = connector(self->system(), st.cfg.options.tls);
  member_info me;
  me.name = st.cfg.options.name;
  me.host = advertised_host(st.cfg.options.host);
  me.port = st.cfg.options.port;
  me.epoch = new_epoch(st.rng);
  me.labels = st.cfg.options.labels;
  auto detected = detect_node_capacity();
  me.cpus = st.cfg.options.cpus != 0 ? st.cfg.options.cpus : detected.cpus;
  me.memory_mb = st.cfg.options.memory_mb != 0 ? st.cfg.options.memory_mb : detected.memory_mb;
  me.agent = caf::actor_cast<caf::actor>(self);
  failure_detector_options detector = st.cfg.options.detector;
  st.table.emplace(me, detector, clock_type::now());
  publish_view(self);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (!self->state.leaving)
      leave(self, msg.reason);
  });
  return {
      [self](cl_tick_atom) { on_tick(self); },
      [self](cl_join_atom, join_request& req) -> caf::result<std::vector<member_info>> {
        auto& st = self->state;
        auto who = req.node.name + " (" + address_of(req.node) + ")";
        if (req.token != st.cfg.options.token) {
          st.log.warn("refused join of {}: bad_token", who);
          return caf::make_error(cluster_errc::bad_token, "join of " + who + " refused");
        }
        if (st.table->is_final(req.node.name, req.node.epoch)) {
          st.log.warn("refused join of {}: stale incarnation {}", who, req.node.epoch);
          return caf::make_error(cluster_errc::stale_incarnation, who);
        }
        handle_events(self, st.table->admit(req.node, clock_type::now()));
        return st.table->members();
      },
      [self](cl_beat_atom, node_heartbeat& hb) {
        auto& st = self->state;
        std::vector<membership_event> events;
        auto now = clock_type::now();
        switch (st.table->heartbeat(hb.from, std::move(hb.names), now, events)) {
          case membership::verdict::stale:
            st.log.info("heartbeat from old incarnation {} of {}: telling it to rejoin",
                        hb.from.epoch, hb.from.name);
            self->send(hb.from.agent, cl_down_atom::value, hb.from.name, hb.from.epoch);
            break;
          case membership::verdict::unknown:
            break;
          case membership::verdict::accepted:
            st.table->merge(hb.view, now, events);
            break;
        }
        handle_events(self, events);
        if (st.table->self_declared_down())
          reincarnate(self);
      },
      [self](cl_down_atom, const std::string& name, uint64_t epoch) {
        auto& st = self->state;
        if (name == st.cfg.options.name && epoch == st.table->self().epoch)
          reincarnate(self);
      },
      [self](cl_leave_atom, const std::string& name, uint64_t epoch) {
        handle_events(self, self->state.table->mark_left(name, epoch, clock_type::now()));
      },
      [self](cl_status_atom) {
        auto& st = self->state;
        publish_view(self);
        cluster_status status{st.cfg.options.name, st.table->members(), st.table->names(), {}};
        for (const auto& [addr, rec] : st.hosted)
          status.hosted.push_back(rec.child);
        return status;
      },
      [self](cl_spawn_atom, spawn_request& req) -> caf::result<caf::actor> {
        auto& st = self->state;
        if (st.leaving)
          return caf::make_error(cluster_errc::unreachable, st.cfg.options.name + " is leaving");
        auto child = st.cfg.view->roles()->spawn(self->system(), req);
        if (!child) {
          st.log.warn("cannot start {} ({}): {}", req.path, req.role, describe(child.error()));
          return child.error();
        }
        self->monitor(*child);
        if (req.owner)
          self->monitor(req.owner);
        st.hosted.emplace(child->address(),
                          hosted_record{hosted_child{req.path, req.role, *child},
                                        req.owner ? req.owner.address() : caf::actor_addr{}});
        st.log.info("started {} ({}) for a supervisor on node {}", req.path, req.role,
                    req.owner ? to_string(req.owner.node()) : std::string{"?"});
        publish_view(self);
        return *child;
      },
      [self](cl_reg_atom, const std::string& name, caf::actor& handle) {
        auto& st = self->state;
        self->monitor(handle);
        st.names[name] = std::move(handle);
        publish_view(self);
      },
      [self](cl_resolve_atom, const std::string& name) -> caf::result<caf::actor> {
        for (auto& entry : self->state.table->names())
          if (entry.name == name)
            return entry.handle;
        return caf::make_error(cluster_errc::unknown_name, name);
      },
      [self](cl_sub_atom, caf::actor& subscriber) {
        self->monitor(subscriber);
        self->state.subscribers.push_back(std::move(subscriber));
      },
  };
}

} // namespace

caf::actor spawn_node_agent(caf::actor_system& sys, node_agent_config config) {
  return sys.spawn(agent_behavior, std::move(config));
}

} // namespace dmlp::runtime
