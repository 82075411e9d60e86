#include "actors/scheduler/scheduling_policy.hpp"

#include <algorithm>
#include <set>

#include "actors/scheduler/fair_share.hpp"

namespace dmlp::scheduler {

namespace {

using free_map = std::map<std::string, resources>;

std::string selector_text(const std::map<std::string, std::string>& selector) {
  if (selector.empty())
    return "any node";
  std::string text = "label ";
  const char* sep = "";
  for (const auto& [key, value] : selector) {
    text += sep + key + "=" + value;
    sep = ",";
  }
  return text;
}

struct gang_attempt {
  std::vector<placement> placements;
  std::string reason;
  bool ok = false;
};

// Places `count` instances of `role` starting at index `first` into `free` (best fit), or
// fails without changing `free`.
gang_attempt place_instances(const std::string& job, const role_request& role, uint32_t first,
                             uint32_t count, const std::vector<node_state>& nodes,
                             const std::set<std::string>& excluded, free_map& free) {
  gang_attempt attempt;
  auto trial = free;
  for (uint32_t i = 0; i < count; ++i) {
    const node_state* best = nullptr;
    double best_left = 0;
    for (const auto& node : nodes) {
      if (!node.schedulable || excluded.count(node.name) > 0 || !node.matches(role.selector))
        continue;
      auto& room = trial[node.name];
      if (!room.fits(role.per_instance))
        continue;
      double left = (room - role.per_instance).cpus;
      if (!best || left < best_left) {
        best = &node;
        best_left = left;
      }
    }
    if (!best) {
      attempt.reason = "waiting for " + role.per_instance.describe() + " on " +
                       selector_text(role.selector) + " (" + std::to_string(i) + " of " +
                       std::to_string(count) + " " + role.role + " instances fit)";
      return attempt;
    }
    trial[best->name] -= role.per_instance;
    attempt.placements.push_back(
        placement{job, role.role, first + i, best->name, role.per_instance});
  }
  free = std::move(trial);
  attempt.ok = true;
  return attempt;
}

// Places the minimum gang of `spec`, all roles, or nothing.
gang_attempt place_gang(const job_spec& spec, const std::vector<node_state>& nodes,
                        const std::set<std::string>& excluded, free_map& free) {
  gang_attempt gang;
  auto trial = free;
  for (const auto& role : spec.roles) {
    auto part = place_instances(spec.id, role, 0, role.min, nodes, excluded, trial);
    if (!part.ok) {
      gang.reason = part.reason;
      return gang;
    }
    gang.placements.insert(gang.placements.end(), part.placements.begin(), part.placements.end());
  }
  free = std::move(trial);
  gang.ok = true;
  return gang;
}

uint32_t instances_of(const running_job& job, const std::string& role) {
  uint32_t n = 0;
  for (const auto& instance : job.instances)
    n += instance.role == role ? 1 : 0;
  return n;
}

uint32_t next_index(const running_job& job, const std::string& role) {
  uint32_t next = 0;
  for (const auto& instance : job.instances)
    if (instance.role == role)
      next = std::max(next, instance.index + 1);
  return next;
}

// Instances of `job` above each role's minimum, newest index first.
std::vector<placement> surplus(const running_job& job) {
  std::vector<placement> result;
  for (const auto& role : job.spec.roles) {
    std::vector<placement> mine;
    for (const auto& instance : job.instances)
      if (instance.role == role.role)
        mine.push_back(instance);
    std::sort(mine.begin(), mine.end(),
              [](const placement& a, const placement& b) { return a.index > b.index; });
    for (size_t i = 0; i + role.min < mine.size(); ++i)
      result.push_back(mine[i]);
  }
  return result;
}

free_map free_capacity(const schedule_input& input) {
  free_map free;
  for (const auto& node : input.nodes)
    free[node.name] = node.schedulable ? node.capacity : resources{};
  for (const auto& job : input.running)
    for (const auto& instance : job.instances)
      if (auto i = free.find(instance.node); i != free.end())
        i->second -= instance.need;
  return free;
}

bool feasible(const job_spec& spec, const std::vector<node_state>& nodes, const free_map& empty) {
  auto trial = empty;
  return place_gang(spec, nodes, {}, trial).ok;
}

// Nodes that, empty, would hold the gang of `spec`: what a reservation holds back.
std::set<std::string> reservation_for(const job_spec& spec, const std::vector<node_state>& nodes) {
  free_map empty;
  for (const auto& node : nodes)
    empty[node.name] = node.schedulable ? node.capacity : resources{};
  std::set<std::string> reserved;
  auto gang = place_gang(spec, nodes, {}, empty);
  for (const auto& p : gang.placements)
    reserved.insert(p.node);
  return reserved;
}

// A cheap necessary condition for preemption to help: the job's minimum fits into what is free
// plus everything lower-priority jobs hold.
bool could_make_room(const job_spec& spec, const std::vector<running_job>& running,
                     const std::set<std::string>& preempted, const free_map& free) {
  resources available;
  for (const auto& [name, room] : free)
    available += room;
  bool any_candidate = false;
  for (const auto& r : running)
    if (preempted.count(r.spec.id) == 0 && r.spec.priority < spec.priority) {
      any_candidate = true;
      for (const auto& instance : r.instances)
        available += instance.need;
    }
  return any_candidate && available.fits(spec.min_resources());
}

} // namespace

int scheduling_policy::effective_priority(const pending_job& job, int64_t now_ms) const {
  auto waited = std::max<int64_t>(0, now_ms - job.waiting_since_ms);
  auto boost = options_.aging_interval_ms > 0 ? waited / options_.aging_interval_ms : 0;
  return job.spec.priority + static_cast<int>(boost);
}

schedule_decision scheduling_policy::decide(const schedule_input& input) const {
  schedule_decision decision;
  auto free = free_capacity(input);
  resources total;
  for (const auto& node : input.nodes)
    if (node.schedulable)
      total += node.capacity;
  auto held = usage_of(input.running);
  free_map empty;
  for (const auto& node : input.nodes)
    empty[node.name] = node.schedulable ? node.capacity : resources{};

  std::vector<pending_job> queue = input.pending;
  std::stable_sort(queue.begin(), queue.end(), [&](const pending_job& a, const pending_job& b) {
    auto pa = effective_priority(a, input.now_ms), pb = effective_priority(b, input.now_ms);
    if (pa != pb)
      return pa > pb;
    return drf_before(a, b, held, total);
  });

  // Running jobs as they stand after this round's shrinks and preemptions.
  std::vector<running_job> running = input.running;
  std::set<std::string> preempted;
  std::set<std::string> shrunk;
  std::set<std::string> reserved_nodes;
  std::vector<running_job> started;
  bool feasible_job_waits = false;

  for (const auto& job : queue) {
    if (!feasible(job.spec, input.nodes, empty)) {
      decision.pending_reasons[job.spec.id] =
          "infeasible: needs " + job.spec.min_resources().describe() +
          " and the schedulable nodes cannot hold it even when empty";
      continue;
    }
    auto gang = place_gang(job.spec, input.nodes, reserved_nodes, free);
    if (!gang.ok && could_make_room(job.spec, running, preempted, free)) {
      // Make room from strictly lower priorities: shrink first, preempt only if needed.
      std::vector<running_job*> candidates;
      for (auto& r : running)
        if (preempted.count(r.spec.id) == 0 && r.spec.priority < job.spec.priority)
          candidates.push_back(&r);
      std::sort(candidates.begin(), candidates.end(), [](running_job* a, running_job* b) {
        if (a->spec.priority != b->spec.priority)
          return a->spec.priority < b->spec.priority;
        return a->started_at_ms > b->started_at_ms;
      });
      auto trial_free = free;
      std::vector<placement> trial_stops;
      std::vector<std::string> trial_preempts;
      bool fits = false;
      // Probing a placement is costly: only probe once the freed total could suffice.
      auto need = job.spec.min_resources();
      resources trial_total;
      for (const auto& [name, room] : trial_free)
        trial_total += room;
      for (auto* candidate : candidates) {
        for (const auto& extra : surplus(*candidate)) {
          trial_free[extra.node] += extra.need;
          trial_total += extra.need;
          trial_stops.push_back(extra);
          if (!trial_total.fits(need))
            continue;
          auto probe = trial_free;
          if (place_gang(job.spec, input.nodes, reserved_nodes, probe).ok) {
            fits = true;
            break;
          }
        }
        if (fits)
          break;
      }
      for (auto* candidate : candidates) {
        if (fits)
          break;
        for (const auto& instance : candidate->instances) {
          bool already_stopped = false;
          for (const auto& stop : trial_stops)
            already_stopped =
                already_stopped || (stop.job == instance.job && stop.role == instance.role &&
                                    stop.index == instance.index);
          if (!already_stopped) {
            trial_free[instance.node] += instance.need;
            trial_total += instance.need;
          }
        }
        trial_preempts.push_back(candidate->spec.id);
        if (!trial_total.fits(need))
          continue;
        auto probe = trial_free;
        fits = place_gang(job.spec, input.nodes, reserved_nodes, probe).ok;
      }
      if (fits && trial_preempts.size() > 1) {
        // Spare every preempted job whose capacity turned out not to be needed (it stays, shrunk
        // to its minimum): fewer jobs lose their progress.
        for (size_t i = trial_preempts.size() - 1; i-- > 0;) {
          auto spared = trial_free;
          for (auto* candidate : candidates)
            if (candidate->spec.id == trial_preempts[i])
              for (const auto& instance : candidate->instances) {
                bool stopped = false;
                for (const auto& stop : trial_stops)
                  stopped = stopped || (stop.job == instance.job && stop.role == instance.role &&
                                        stop.index == instance.index);
                if (!stopped)
                  spared[instance.node] -= instance.need;
              }
          auto probe = spared;
          if (place_gang(job.spec, input.nodes, reserved_nodes, probe).ok) {
            trial_free = spared;
            trial_preempts.erase(trial_preempts.begin() + static_cast<std::ptrdiff_t>(i));
          }
        }
      }
      if (fits) {
        std::set<std::string> now_preempted(trial_preempts.begin(), trial_preempts.end());
        for (const auto& stop : trial_stops)
          if (now_preempted.count(stop.job) == 0) {
            decision.stop.push_back(stop);
            shrunk.insert(stop.job);
            for (auto& r : running)
              if (r.spec.id == stop.job)
                r.instances.erase(std::remove_if(r.instances.begin(), r.instances.end(),
                                                 [&](const placement& p) {
                                                   return p.role == stop.role &&
                                                          p.index == stop.index;
                                                 }),
                                  r.instances.end());
          }
        for (const auto& id : trial_preempts) {
          decision.preempt.push_back(id);
          preempted.insert(id);
        }
        free = trial_free;
        gang = place_gang(job.spec, input.nodes, reserved_nodes, free);
      }
    }
    if (gang.ok) {
      decision.start.insert(decision.start.end(), gang.placements.begin(), gang.placements.end());
      started.push_back(running_job{job.spec, gang.placements, input.now_ms});
      continue;
    }
    feasible_job_waits = true;
    decision.pending_reasons[job.spec.id] = gang.reason;
    if (decision.reserved_for.empty() &&
        input.now_ms - job.waiting_since_ms >= options_.reserve_after_ms) {
      decision.reserved_for = job.spec.id;
      reserved_nodes = reservation_for(job.spec, input.nodes);
      decision.pending_reasons[job.spec.id] += "; holds a reservation";
    }
  }

  if (!feasible_job_waits && preempted.empty()) {
    // Elastic growth into what is left, highest priority first.
    std::vector<running_job*> growers;
    for (auto& r : running)
      if (preempted.count(r.spec.id) == 0 && shrunk.count(r.spec.id) == 0)
        growers.push_back(&r);
    for (auto& s : started)
      growers.push_back(&s);
    std::stable_sort(growers.begin(), growers.end(), [](running_job* a, running_job* b) {
      return a->spec.priority > b->spec.priority;
    });
    for (auto* job : growers)
      for (const auto& role : job->spec.roles) {
        auto have = instances_of(*job, role.role);
        auto first = next_index(*job, role.role);
        for (uint32_t n = have; n < role.max; ++n) {
          auto part = place_instances(job->spec.id, role, first + (n - have), 1, input.nodes,
                                      reserved_nodes, free);
          if (!part.ok)
            break;
          decision.start.push_back(part.placements.front());
          job->instances.push_back(part.placements.front());
        }
      }
  }
  return decision;
}

} // namespace dmlp::scheduler
