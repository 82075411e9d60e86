#include "actors/scheduler/scheduler_actor.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/logging.hpp"

namespace dmlp::scheduler {

namespace {

// One job as the actor keeps it. Everything but `spawned` is saved.
struct job_entry {
  job_status status;
  // Whether an owner runs the job (otherwise the scheduler spawns it).
  bool owner_run = false;
  // The owner; null for role-run jobs, and for owners on other nodes after a restart (CAF 0.17
  // cannot rebuild a remote handle outside the middleman, so only local owners are saved).
  caf::actor owner;
  // In a snapshot: the id of a local owner in the actor registry (0: none or remote).
  caf::actor_id saved_owner = 0;
  std::string args;
  // Pending: waiting since; running: started at (ms of the actor clock).
  int64_t since_ms = 0;
  // Spawned instances of a role-run job by "role/index".
  std::map<std::string, caf::actor> spawned;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, job_entry& x) {
  return f(caf::meta::type_name("sched_job_entry"), x.status, x.owner_run, x.saved_owner, x.args,
           x.since_ms);
}

// What a snapshot holds.
struct saved_state {
  uint64_t next_sequence = 0;
  std::vector<job_entry> jobs;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, saved_state& x) {
  return f(caf::meta::type_name("sched_saved_state"), x.next_sequence, x.jobs);
}

struct scheduler_state {
  scheduler_config config;
  scheduling_policy policy;
  std::map<std::string, node_state> nodes;
  std::map<std::string, caf::actor> agents;
  std::map<std::string, job_entry> jobs;
  uint64_t next_sequence = 0;
  bool round_queued = false;
  runtime::actor_log log;

  static inline const char* name = "dmlp.scheduler";
};

using sched_actor = caf::stateful_actor<scheduler_state>;

bool is_final(job_state state) {
  return state == job_state::finished || state == job_state::cancelled ||
         state == job_state::failed;
}

std::string instance_key(const placement& p) {
  return p.role + "/" + std::to_string(p.index);
}

int64_t now_ms(sched_actor* self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             self->clock().now().time_since_epoch())
      .count();
}

caf::error validate(const job_spec& spec) {
  auto bad = [&](const std::string& what) {
    return caf::make_error(scheduler_errc::invalid_job,
                           "job " + (spec.id.empty() ? "(unnamed)" : spec.id) + ": " + what);
  };
  if (spec.roles.empty())
    return bad("no roles");
  for (const auto& role : spec.roles) {
    if (role.role.empty())
      return bad("a role without a name");
    if (role.max < role.min || role.max == 0)
      return bad("role " + role.role + ": max must be at least min and at least 1");
    const auto& r = role.per_instance;
    if (r.cpus < 0 || r.memory_mb < 0 || r.gpus < 0)
      return bad("role " + role.role + ": negative resources");
  }
  return caf::none;
}

void save(sched_actor* self) {
  auto& st = self->state;
  if (!st.config.snapshots)
    return;
  saved_state saved{st.next_sequence, {}};
  for (const auto& [id, job] : st.jobs) {
    saved.jobs.push_back(job);
    if (job.owner && job.owner.node() == self->node())
      saved.jobs.back().saved_owner = job.owner.id();
  }
  std::vector<char> buffer;
  caf::binary_serializer sink{self->system(), buffer};
  if (auto err = sink(saved)) {
    st.log.error("cannot encode the scheduler state: {}", describe(err));
    return;
  }
  auto done = st.config.snapshots->save(st.config.snapshot_key, {buffer.begin(), buffer.end()});
  if (!done)
    st.log.error("cannot save the scheduler state: {}", describe(done.error()));
}

void queue_round(sched_actor* self) {
  if (!self->state.round_queued) {
    self->state.round_queued = true;
    self->send(self, sched_round_atom::value);
  }
}

void stop_spawned(sched_actor* self, job_entry& job) {
  for (auto& [key, handle] : job.spawned)
    self->send_exit(handle, caf::exit_reason::user_shutdown);
  job.spawned.clear();
}

void requeue(sched_actor* self, const std::string& id) {
  auto i = self->state.jobs.find(id);
  if (i == self->state.jobs.end() || i->second.status.state != job_state::preempting)
    return;
  auto& job = i->second;
  job.status.state = job_state::pending;
  job.status.placements.clear();
  job.status.preemptions += 1;
  job.since_ms = now_ms(self);
  self->state.log.info("job {} requeued (preemption {})", id, job.status.preemptions);
  save(self);
  queue_round(self);
}

// Asks the job to stop (checkpoint first); it is requeued when its owner answers, or after the
// grace period. Jobs the scheduler spawned are stopped at once.
void preempt(sched_actor* self, job_entry& job) {
  auto id = job.status.spec.id;
  job.status.state = job_state::preempting;
  if (!job.owner_run) {
    stop_spawned(self, job);
    requeue(self, id);
    return;
  }
  if (!job.owner) {
    self->state.log.warn("owner of job {} unknown since a restart; requeued without asking", id);
    requeue(self, id);
    return;
  }
  self->state.log.info("asking the owner of job {} to stop", id);
  self->request(job.owner, self->state.config.preempt_grace, sched_preempt_atom::value, id)
      .then([self, id](const std::string&) { requeue(self, id); },
            [self, id](caf::error& err) {
              self->state.log.warn("owner of job {} did not confirm its stop ({}); requeued", id,
                                   describe(err));
              requeue(self, id);
            });
}

void fail(sched_actor* self, job_entry& job, const std::string& why) {
  stop_spawned(self, job);
  job.status.state = job_state::failed;
  job.status.placements.clear();
  job.status.reason = why;
  self->state.log.error("job {} failed: {}", job.status.spec.id, why);
  save(self);
  queue_round(self);
}

void replace_lost(sched_actor* self, job_entry& job, const std::vector<placement>& lost);

// Starts the instances `fresh` of a role-run job through the node agents (or the local role
// registry for static nodes).
void spawn_instances(sched_actor* self, job_entry& job, const std::vector<placement>& fresh) {
  auto& st = self->state;
  auto id = job.status.spec.id;
  for (const auto& p : fresh) {
    spawn_request request{
        p.role,   st.config.snapshot_key + "/" + id + "/" + p.role + "-" + std::to_string(p.index),
        job.args, self,
        {},       {},
        {}};
    auto adopt = [self, id, p](caf::actor handle) {
      auto i = self->state.jobs.find(id);
      bool wanted = i != self->state.jobs.end() && i->second.status.state == job_state::running &&
                    std::any_of(i->second.status.placements.begin(),
                                i->second.status.placements.end(), [&](const placement& q) {
                                  return q.role == p.role && q.index == p.index && q.node == p.node;
                                });
      if (!wanted) {
        self->send_exit(handle, caf::exit_reason::user_shutdown);
        return;
      }
      self->monitor(handle);
      i->second.spawned[instance_key(p)] = std::move(handle);
    };
    auto refused = [self, id, p](const caf::error& err) {
      auto i = self->state.jobs.find(id);
      if (i == self->state.jobs.end() || i->second.status.state != job_state::running)
        return;
      if (err == runtime::cluster_errc::unknown_role) {
        fail(self, i->second, "no role " + p.role + " on node " + p.node);
        return;
      }
      self->state.log.warn("cannot start {}/{} of job {} on {}: {}", p.role, p.index, id, p.node,
                           describe(err));
      replace_lost(self, i->second, {p});
    };
    if (auto agent = st.agents.find(p.node); agent != st.agents.end() && agent->second) {
      self->request(agent->second, st.config.spawn_timeout, cl_spawn_atom::value, request)
          .then(adopt, refused);
    } else if (st.config.roles) {
      auto handle = st.config.roles->spawn(self->system(), request);
      if (handle)
        adopt(std::move(*handle));
      else
        refused(handle.error());
    } else {
      refused(caf::make_error(runtime::cluster_errc::unreachable,
                              "node " + p.node + " has no agent and no local roles"));
    }
  }
}

// Tells the job's runner about new placements: a grant to the owner, or spawns.
void deliver(sched_actor* self, job_entry& job, const std::vector<placement>& fresh) {
  if (!job.owner_run)
    spawn_instances(self, job, fresh);
  else if (job.owner)
    self->send(job.owner, job_grant{job.status.spec.id, job.status.placements});
}

// The policy's view of the jobs. A job being preempted still holds its capacity and may not be
// chosen again: it runs at the highest priority until its owner answers.
schedule_input input_of(sched_actor* self) {
  auto& st = self->state;
  schedule_input input;
  for (const auto& [name, node] : st.nodes)
    input.nodes.push_back(node);
  for (const auto& [id, job] : st.jobs) {
    switch (job.status.state) {
      case job_state::pending:
        input.pending.push_back(pending_job{job.status.spec, job.since_ms, job.status.sequence});
        break;
      case job_state::running:
        input.running.push_back(running_job{job.status.spec, job.status.placements, job.since_ms});
        break;
      case job_state::preempting: {
        running_job held{job.status.spec, job.status.placements, job.since_ms};
        held.spec.priority = INT_MAX;
        input.running.push_back(std::move(held));
        break;
      }
      default:
        break;
    }
  }
  input.now_ms = now_ms(self);
  return input;
}

// Drops the instance `gone` from the job's placements and stops watching its spawned actor,
// which it returns (null for owner-run jobs).
caf::actor remove_instance(sched_actor* self, job_entry& job, const placement& gone) {
  auto& placements = job.status.placements;
  placements.erase(std::remove_if(placements.begin(), placements.end(),
                                  [&](const placement& p) {
                                    return p.role == gone.role && p.index == gone.index;
                                  }),
                   placements.end());
  caf::actor spawned;
  if (auto s = job.spawned.find(instance_key(gone)); s != job.spawned.end()) {
    self->demonitor(s->second);
    spawned = std::move(s->second);
    job.spawned.erase(s);
  }
  return spawned;
}

// Instances lost with a node or a crash: placed again on the surviving nodes when they fit
// without preempting anyone; otherwise the job keeps running shrunk while every role keeps its
// minimum, and is paused (preempted, requeued) when a role falls below it.
void replace_lost(sched_actor* self, job_entry& job, const std::vector<placement>& lost) {
  auto& st = self->state;
  auto& placements = job.status.placements;
  for (const auto& gone : lost)
    remove_instance(self, job, gone);
  // The lost instances as a job of their own, placed by the policy next to everything else.
  job_spec patch = job.status.spec;
  patch.id = job.status.spec.id + "#replace";
  patch.roles.clear();
  std::map<std::string, std::vector<uint32_t>> lost_indices;
  for (const auto& gone : lost)
    lost_indices[gone.role].push_back(gone.index);
  for (const auto& role : job.status.spec.roles)
    if (auto i = lost_indices.find(role.role); i != lost_indices.end()) {
      auto count = static_cast<uint32_t>(i->second.size());
      patch.roles.push_back(
          role_request{role.role, role.per_instance, role.selector, count, count});
    }
  auto input = input_of(self);
  input.running.erase(
      std::remove_if(input.running.begin(), input.running.end(),
                     [&](const running_job& r) { return r.spec.id == job.status.spec.id; }),
      input.running.end());
  input.running.push_back(running_job{job.status.spec, placements, job.since_ms});
  input.pending = {pending_job{patch, input.now_ms, 0}};
  auto decision = st.policy.decide(input);
  std::vector<placement> fresh;
  if (decision.preempt.empty() && decision.stop.empty())
    for (auto p : decision.start)
      if (p.job == patch.id) {
        p.job = job.status.spec.id;
        p.index = lost_indices[p.role][p.index];
        fresh.push_back(std::move(p));
      }
  if (!lost.empty() && fresh.size() == lost.size()) {
    placements.insert(placements.end(), fresh.begin(), fresh.end());
    st.log.info("job {}: {} lost instances placed again", job.status.spec.id, fresh.size());
    deliver(self, job, fresh);
    save(self);
    return;
  }
  bool below_min = false;
  for (const auto& role : job.status.spec.roles) {
    auto have = std::count_if(placements.begin(), placements.end(),
                              [&](const placement& p) { return p.role == role.role; });
    below_min = below_min || static_cast<uint32_t>(have) < role.min;
  }
  if (below_min) {
    st.log.warn("job {} fell below its minimum gang; paused", job.status.spec.id);
    preempt(self, job);
  } else if (job.owner) {
    self->send(job.owner, job_grant{job.status.spec.id, placements});
  }
  save(self);
}

void lose_node(sched_actor* self, const std::string& node) {
  auto& st = self->state;
  for (auto& [id, job] : st.jobs) {
    if (job.status.state != job_state::running && job.status.state != job_state::preempting)
      continue;
    std::vector<placement> lost;
    for (const auto& p : job.status.placements)
      if (p.node == node)
        lost.push_back(p);
    if (lost.empty())
      continue;
    st.log.warn("node {} lost: {} instances of job {}", node, lost.size(), id);
    if (job.status.state == job_state::preempting) {
      auto& placements = job.status.placements;
      placements.erase(std::remove_if(placements.begin(), placements.end(),
                                      [&](const placement& p) { return p.node == node; }),
                       placements.end());
      continue;
    }
    replace_lost(self, job, lost);
  }
  save(self);
}

void apply_stop(sched_actor* self, const placement& stop, std::set<std::string>& changed) {
  auto i = self->state.jobs.find(stop.job);
  if (i == self->state.jobs.end())
    return;
  if (auto spawned = remove_instance(self, i->second, stop))
    self->send_exit(spawned, caf::exit_reason::user_shutdown);
  changed.insert(stop.job);
}

void run_round(sched_actor* self) {
  auto& st = self->state;
  auto decision = st.policy.decide(input_of(self));
  for (auto& [id, job] : st.jobs)
    if (job.status.state == job_state::pending) {
      auto reason = decision.pending_reasons.find(id);
      job.status.reason = reason == decision.pending_reasons.end() ? "" : reason->second;
    }
  bool in_flight = std::any_of(st.jobs.begin(), st.jobs.end(), [](const auto& entry) {
    return entry.second.status.state == job_state::preempting;
  });
  if (!decision.preempt.empty() || !decision.stop.empty()) {
    // The policy counts a preemption in flight as capacity still held; asking for more before
    // the owners answered could preempt more than needed.
    if (in_flight)
      return;
    std::set<std::string> shrunk;
    for (const auto& stop : decision.stop)
      apply_stop(self, stop, shrunk);
    for (const auto& id : shrunk)
      if (auto& job = st.jobs[id]; job.owner)
        self->send(job.owner, job_grant{id, job.status.placements});
    if (!decision.preempt.empty()) {
      // The starts of this round assumed the preempted capacity free: they wait for the
      // owners' answers, which run the next round.
      for (const auto& id : decision.preempt)
        if (auto i = st.jobs.find(id); i != st.jobs.end())
          preempt(self, i->second);
      save(self);
      return;
    }
  }
  std::map<std::string, std::vector<placement>> started;
  for (const auto& p : decision.start)
    started[p.job].push_back(p);
  auto now = now_ms(self);
  for (auto& [id, fresh] : started) {
    auto i = st.jobs.find(id);
    if (i == st.jobs.end())
      continue;
    auto& job = i->second;
    if (job.status.state == job_state::pending) {
      job.status.state = job_state::running;
      job.status.reason.clear();
      job.since_ms = now;
      st.log.info("job {} starts with {} instances", id, fresh.size());
    }
    job.status.placements.insert(job.status.placements.end(), fresh.begin(), fresh.end());
    deliver(self, job, fresh);
  }
  // Pending reasons are recomputed every round; only placements are worth a write (the timer
  // runs a round every tick).
  if (!started.empty() || !decision.stop.empty())
    save(self);
}

void end_job(sched_actor* self, job_entry& job, job_state state) {
  stop_spawned(self, job);
  job.status.state = state;
  job.status.placements.clear();
  job.status.reason.clear();
  self->state.log.info("job {} {}", job.status.spec.id, to_string(state));
  save(self);
  queue_round(self);
}

// The job `id` while it is not over; unknown_job or job_over otherwise.
caf::expected<job_entry*> live_job(sched_actor* self, const std::string& id) {
  auto i = self->state.jobs.find(id);
  if (i == self->state.jobs.end())
    return caf::make_error(scheduler_errc::unknown_job, "no job " + id);
  if (is_final(i->second.status.state))
    return caf::make_error(scheduler_errc::job_over,
                           "job " + id + " is " + to_string(i->second.status.state));
  return &i->second;
}

void on_down(sched_actor* self, const caf::down_msg& msg) {
  auto& st = self->state;
  for (auto& [id, job] : st.jobs) {
    if (is_final(job.status.state))
      continue;
    if (job.owner && job.owner.address() == msg.source) {
      st.log.warn("owner of job {} is gone ({}); cancelled", id, to_string(msg.reason));
      job.owner = nullptr;
      end_job(self, job, job_state::cancelled);
      continue;
    }
    for (auto s = job.spawned.begin(); s != job.spawned.end(); ++s) {
      if (s->second.address() != msg.source)
        continue;
      auto key = s->first;
      job.spawned.erase(s);
      auto p = std::find_if(job.status.placements.begin(), job.status.placements.end(),
                            [&](const placement& x) { return instance_key(x) == key; });
      if (p == job.status.placements.end())
        break;
      if (msg.reason == caf::exit_reason::normal) {
        if (job.spawned.empty())
          end_job(self, job, job_state::finished);
      } else {
        st.log.warn("instance {} of job {} died ({})", key, id, to_string(msg.reason));
        replace_lost(self, job, {*p});
      }
      return;
    }
  }
}

void add_member(sched_actor* self, const member_info& member) {
  auto& st = self->state;
  auto node = node_of(member);
  bool was_up = st.nodes.count(member.name) > 0 && st.nodes[member.name].schedulable;
  if (member.state == member_state::up) {
    st.nodes[member.name] = node;
    st.agents[member.name] = member.agent;
    if (!was_up)
      st.log.info("node {} up: {}", member.name, node.capacity.describe());
    queue_round(self);
  } else if (member.state == member_state::down || member.state == member_state::left) {
    if (st.nodes.count(member.name) == 0)
      return;
    st.nodes[member.name].schedulable = false;
    st.agents.erase(member.name);
    lose_node(self, member.name);
    queue_round(self);
  }
}

void restore(sched_actor* self) {
  auto& st = self->state;
  if (!st.config.snapshots)
    return;
  auto loaded = st.config.snapshots->load(st.config.snapshot_key);
  if (!loaded) {
    st.log.error("cannot load the scheduler state: {}; starting empty", describe(loaded.error()));
    return;
  }
  if (!*loaded)
    return;
  saved_state saved;
  std::vector<char> buffer{(*loaded)->payload.begin(), (*loaded)->payload.end()};
  caf::binary_deserializer source{self->system(), buffer};
  if (auto err = source(saved)) {
    st.log.error("cannot decode the scheduler state: {}; starting empty", describe(err));
    return;
  }
  st.next_sequence = saved.next_sequence;
  for (auto& job : saved.jobs) {
    auto id = job.status.spec.id;
    auto& entry = st.jobs[id] = std::move(job);
    if (is_final(entry.status.state))
      continue;
    if (entry.saved_owner != 0) {
      entry.owner = caf::actor_cast<caf::actor>(self->system().registry().get(entry.saved_owner));
      if (!entry.owner) {
        st.log.warn("owner of job {} is gone; cancelled", id);
        entry.status.state = job_state::cancelled;
        entry.status.placements.clear();
        continue;
      }
      self->monitor(entry.owner);
    }
    if (!entry.owner_run && entry.status.state != job_state::pending) {
      // Spawned instances die with the scheduler that owned them (their hosts kill them).
      entry.status.state = job_state::preempting;
      requeue(self, id);
    }
    if (entry.status.state == job_state::preempting)
      preempt(self, entry);
  }
  st.log.info("restored {} jobs", st.jobs.size());
}

caf::behavior scheduler_behavior(sched_actor* self, scheduler_config config) {
  auto& st = self->state;
  st.log = runtime::actor_log{config.log, "scheduler"};
  st.policy = scheduling_policy{config.policy};
  for (const auto& node : config.nodes)
    st.nodes[node.name] = node;
  st.config = std::move(config);
  restore(self);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  if (st.config.agent) {
    self->send(st.config.agent, cl_sub_atom::value, caf::actor{self});
    self->request(st.config.agent, st.config.spawn_timeout, cl_status_atom::value)
        .then(
            [self](const cluster_status& status) {
              for (const auto& member : status.nodes)
                add_member(self, member);
            },
            [self](const caf::error& err) {
              self->state.log.warn("no membership from the node agent: {}", describe(err));
            });
  }
  self->delayed_send(self, st.config.tick, sched_tick_atom::value);
  queue_round(self);
  return {
      [self](sched_submit_atom, job_submission& submission) -> caf::result<std::string> {
        auto& st = self->state;
        auto& spec = submission.spec;
        if (auto err = validate(spec))
          return err;
        auto sequence = st.next_sequence++;
        if (spec.id.empty())
          spec.id = "job-" + std::to_string(sequence + 1);
        if (auto i = st.jobs.find(spec.id); i != st.jobs.end() && !is_final(i->second.status.state))
          return caf::make_error(scheduler_errc::duplicate_job, "job " + spec.id + " exists");
        auto id = spec.id;
        job_entry job;
        job.status.spec = std::move(spec);
        job.status.sequence = sequence;
        job.owner = std::move(submission.owner);
        job.owner_run = static_cast<bool>(job.owner);
        job.args = std::move(submission.args);
        job.since_ms = now_ms(self);
        if (job.owner) {
          self->monitor(job.owner);
          // A local owner is found again by its id after a restart.
          if (job.owner.node() == self->node())
            self->system().registry().put(job.owner.id(),
                                          caf::actor_cast<caf::strong_actor_ptr>(job.owner));
        }
        st.jobs[id] = std::move(job);
        st.log.info("job {} submitted", id);
        save(self);
        queue_round(self);
        return id;
      },
      [self](sched_list_atom) {
        std::vector<job_status> list;
        for (const auto& [id, job] : self->state.jobs)
          list.push_back(job.status);
        std::sort(list.begin(), list.end(),
                  [](const job_status& a, const job_status& b) { return a.sequence < b.sequence; });
        return list;
      },
      [self](sched_cancel_atom, const std::string& id) -> caf::result<job_status> {
        auto found = live_job(self, id);
        if (!found)
          return found.error();
        auto& job = **found;
        if (job.owner && job.status.state != job_state::pending)
          self->send(job.owner, sched_cancel_atom::value, id);
        end_job(self, job, job_state::cancelled);
        return job.status;
      },
      [self](sched_finish_atom, const std::string& id) -> caf::result<job_status> {
        auto found = live_job(self, id);
        if (!found)
          return found.error();
        auto& job = **found;
        end_job(self, job, job_state::finished);
        return job.status;
      },
      [self](const membership_event& event) { add_member(self, event.node); },
      [self](sched_round_atom) {
        self->state.round_queued = false;
        run_round(self);
      },
      [self](sched_tick_atom) {
        self->delayed_send(self, self->state.config.tick, sched_tick_atom::value);
        run_round(self);
      },
  };
}

} // namespace

node_state embedded_node(std::string name, resources capacity) {
  return node_state{std::move(name), {}, capacity, true};
}

node_state node_of(const member_info& member) {
  node_state node;
  node.name = member.name;
  for (const auto& label : member.labels) {
    auto eq = label.find('=');
    if (eq == std::string::npos)
      node.labels[label] = "";
    else
      node.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  node.capacity.cpus = member.cpus;
  node.capacity.memory_mb = static_cast<double>(member.memory_mb);
  if (auto gpus = node.labels.find("gpus"); gpus != node.labels.end())
    node.capacity.gpus = std::strtod(gpus->second.c_str(), nullptr);
  node.schedulable = member.state == member_state::up;
  return node;
}

caf::actor spawn_scheduler(caf::actor_system& sys, scheduler_config config) {
  return sys.spawn(scheduler_behavior, std::move(config));
}

runtime::child_spec scheduler_child(std::string id, scheduler_config config) {
  return runtime::worker(std::move(id), [config](const runtime::start_context& ctx) {
    auto mine = config;
    if (!mine.snapshots && ctx.snapshots) {
      mine.snapshots = ctx.snapshots;
      mine.snapshot_key = ctx.path;
    }
    return caf::expected<caf::actor>{spawn_scheduler(ctx.system, std::move(mine))};
  });
}

} // namespace dmlp::scheduler
