#include "actors/scheduler/scheduling_policy.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>
#include <unordered_map>

#include "actors/scheduler/fair_share.hpp"

namespace dmlp::scheduler {

namespace {

// Free capacity per node, indexed like schedule_input::nodes. Names are looked up only when a
// decision is turned into placements; a round copies this vector, never a map keyed by name.
using capacity = std::vector<resources>;

// Nodes the policy may not start anything new on (a reservation), indexed like the nodes.
using node_mask = std::vector<bool>;

constexpr uint32_t unknown_node = std::numeric_limits<uint32_t>::max();

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

// The round's nodes by index: name lookup and, per selector, the schedulable nodes that match
// it (in input order, computed once per distinct selector).
class node_index {
public:
  explicit node_index(const std::vector<node_state>& nodes) : nodes_(nodes) {
    by_name_.reserve(nodes.size());
    for (uint32_t i = 0; i < nodes.size(); ++i)
      by_name_.emplace(nodes[i].name, i);
  }

  size_t size() const { return nodes_.size(); }

  const std::string& name(uint32_t i) const { return nodes_[i].name; }

  uint32_t find(const std::string& name) const {
    auto i = by_name_.find(name);
    return i == by_name_.end() ? unknown_node : i->second;
  }

  // Looked up by the request's address first: comparing selectors costs more than placing.
  const std::vector<uint32_t>& eligible(const role_request& role) {
    if (auto known = by_request_.find(&role); known != by_request_.end())
      return *known->second;
    auto i = eligible_.find(role.selector);
    if (i == eligible_.end()) {
      std::vector<uint32_t> matching;
      for (uint32_t n = 0; n < nodes_.size(); ++n)
        if (nodes_[n].schedulable && nodes_[n].matches(role.selector))
          matching.push_back(n);
      i = eligible_.emplace(role.selector, std::move(matching)).first;
    }
    by_request_.emplace(&role, &i->second);
    return i->second;
  }

  // Capacity of every schedulable node, nothing placed.
  capacity empty() const {
    capacity result(nodes_.size());
    for (size_t n = 0; n < nodes_.size(); ++n)
      if (nodes_[n].schedulable)
        result[n] = nodes_[n].capacity;
    return result;
  }

private:
  const std::vector<node_state>& nodes_;
  std::unordered_map<std::string, uint32_t> by_name_;
  std::map<std::map<std::string, std::string>, std::vector<uint32_t>> eligible_;
  std::unordered_map<const role_request*, const std::vector<uint32_t>*> by_request_;
};

struct gang_attempt {
  std::vector<placement> placements;
  std::string reason;
  bool ok = false;
};

// Gives back what `placements[from..]` took from `free`.
void undo(const node_index& nodes, const std::vector<placement>& placements, size_t from,
          capacity& free) {
  for (size_t i = from; i < placements.size(); ++i)
    free[nodes.find(placements[i].node)] += placements[i].need;
}

// Places `count` instances of `role` starting at index `first` into `free` (best fit) and
// appends them to `out`, or fails leaving `free` and `out` as they were.
bool place_instances(const std::string& job, const role_request& role, uint32_t first,
                     uint32_t count, node_index& nodes, const node_mask& excluded, capacity& free,
                     std::vector<placement>& out, std::string* reason) {
  const auto& eligible = nodes.eligible(role);
  auto mark = out.size();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t best = unknown_node;
    double best_left = 0;
    for (auto n : eligible) {
      if (excluded[n] || !free[n].fits(role.per_instance))
        continue;
      double left = free[n].cpus - role.per_instance.cpus;
      if (best == unknown_node || left < best_left) {
        best = n;
        best_left = left;
      }
    }
    if (best == unknown_node) {
      undo(nodes, out, mark, free);
      out.resize(mark);
      if (reason)
        *reason = "waiting for " + role.per_instance.describe() + " on " +
                  selector_text(role.selector) + " (" + std::to_string(i) + " of " +
                  std::to_string(count) + " " + role.role + " instances fit)";
      return false;
    }
    free[best] -= role.per_instance;
    out.push_back(placement{job, role.role, first + i, nodes.name(best), role.per_instance});
  }
  return true;
}

// Places the minimum gang of `spec`, all roles, or nothing (then `free` is unchanged). Says why
// not only when asked: building the reason costs more than a failed probe.
gang_attempt place_gang(const job_spec& spec, node_index& nodes, const node_mask& excluded,
                        capacity& free, bool with_reason = true) {
  gang_attempt gang;
  for (const auto& role : spec.roles)
    if (!place_instances(spec.id, role, 0, role.min, nodes, excluded, free, gang.placements,
                         with_reason ? &gang.reason : nullptr)) {
      undo(nodes, gang.placements, 0, free);
      gang.placements.clear();
      return gang;
    }
  gang.ok = true;
  return gang;
}

// Whether the gang of `spec` fits into `free`; leaves `free` unchanged.
bool gang_fits(const job_spec& spec, node_index& nodes, const node_mask& excluded, capacity& free) {
  auto gang = place_gang(spec, nodes, excluded, free, false);
  if (gang.ok)
    undo(nodes, gang.placements, 0, free);
  return gang.ok;
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

using instance_key = std::tuple<std::string, std::string, uint32_t>;

instance_key key_of(const placement& p) {
  return {p.job, p.role, p.index};
}

// Adds `need` to the node called `node` when the round knows it.
void give_back(const node_index& nodes, const std::string& node, const resources& need,
               capacity& free) {
  if (auto n = nodes.find(node); n != unknown_node)
    free[n] += need;
}

capacity free_capacity(const schedule_input& input, const node_index& nodes) {
  auto free = nodes.empty();
  for (const auto& job : input.running)
    for (const auto& instance : job.instances)
      if (auto n = nodes.find(instance.node); n != unknown_node)
        free[n] -= instance.need;
  return free;
}

resources sum(const capacity& free) {
  resources total;
  for (const auto& room : free)
    total += room;
  return total;
}

// Nodes that, empty, would hold the gang of `spec`: what a reservation holds back.
node_mask reservation_for(const job_spec& spec, node_index& nodes) {
  auto empty = nodes.empty();
  node_mask reserved(nodes.size(), false);
  for (const auto& p : place_gang(spec, nodes, node_mask(nodes.size(), false), empty).placements)
    reserved[nodes.find(p.node)] = true;
  return reserved;
}

// A cheap necessary condition for preemption to help: the job's minimum fits into what is free
// plus everything lower-priority jobs hold.
bool could_make_room(const job_spec& spec, const std::vector<running_job>& running,
                     const std::vector<bool>& preempted, const resources& free_total) {
  auto available = free_total;
  bool any_candidate = false;
  for (size_t i = 0; i < running.size(); ++i)
    if (!preempted[i] && running[i].spec.priority < spec.priority) {
      any_candidate = true;
      for (const auto& instance : running[i].instances)
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
  node_index nodes{input.nodes};
  auto free = free_capacity(input, nodes);
  auto empty = nodes.empty();
  auto total = sum(empty);
  auto held = usage_of(input.running);
  const node_mask nothing_excluded(nodes.size(), false);

  std::vector<const pending_job*> queue;
  queue.reserve(input.pending.size());
  for (const auto& job : input.pending)
    queue.push_back(&job);
  std::vector<int> priority_of(input.pending.size());
  for (size_t i = 0; i < input.pending.size(); ++i)
    priority_of[i] = effective_priority(input.pending[i], input.now_ms);
  auto priority = [&](const pending_job* job) { return priority_of[job - input.pending.data()]; };
  std::stable_sort(queue.begin(), queue.end(), [&](const pending_job* a, const pending_job* b) {
    auto pa = priority(a), pb = priority(b);
    if (pa != pb)
      return pa > pb;
    return drf_before(*a, *b, held, total);
  });

  // Running jobs as they stand after this round's shrinks and preemptions.
  std::vector<running_job> running = input.running;
  // Indexed like `running`.
  std::vector<bool> preempted(running.size(), false);
  bool any_preempted = false;
  std::set<std::string> shrunk;
  node_mask reserved_nodes = nothing_excluded;
  std::vector<running_job> started;
  // Never reallocated: node_index caches by the address of each role_request it saw.
  started.reserve(queue.size());
  bool feasible_job_waits = false;

  for (const auto* pending : queue) {
    const auto& job = *pending;
    if (!gang_fits(job.spec, nodes, nothing_excluded, empty)) {
      decision.pending_reasons[job.spec.id] =
          "infeasible: needs " + job.spec.min_resources().describe() +
          " and the schedulable nodes cannot hold it even when empty";
      continue;
    }
    auto gang = place_gang(job.spec, nodes, reserved_nodes, free);
    if (!gang.ok && could_make_room(job.spec, running, preempted, sum(free))) {
      // Make room from strictly lower priorities: shrink first, preempt only if needed.
      std::vector<running_job*> candidates;
      for (size_t i = 0; i < running.size(); ++i)
        if (!preempted[i] && running[i].spec.priority < job.spec.priority)
          candidates.push_back(&running[i]);
      std::sort(candidates.begin(), candidates.end(), [](running_job* a, running_job* b) {
        if (a->spec.priority != b->spec.priority)
          return a->spec.priority < b->spec.priority;
        return a->started_at_ms > b->started_at_ms;
      });
      auto trial_free = free;
      std::vector<placement> trial_stops;
      std::set<instance_key> stopped;
      std::vector<running_job*> trial_preempts;
      bool fits = false;
      // Probing a placement is costly: only probe once the freed total could suffice.
      auto need = job.spec.min_resources();
      auto trial_total = sum(trial_free);
      for (auto* candidate : candidates) {
        for (const auto& extra : surplus(*candidate)) {
          give_back(nodes, extra.node, extra.need, trial_free);
          trial_total += extra.need;
          trial_stops.push_back(extra);
          stopped.insert(key_of(extra));
          if (!trial_total.fits(need))
            continue;
          if (gang_fits(job.spec, nodes, reserved_nodes, trial_free)) {
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
        for (const auto& instance : candidate->instances)
          if (stopped.count(key_of(instance)) == 0) {
            give_back(nodes, instance.node, instance.need, trial_free);
            trial_total += instance.need;
          }
        trial_preempts.push_back(candidate);
        if (!trial_total.fits(need))
          continue;
        fits = gang_fits(job.spec, nodes, reserved_nodes, trial_free);
      }
      if (fits && trial_preempts.size() > 1) {
        // Spare every preempted job whose capacity turned out not to be needed (it stays, shrunk
        // to its minimum): fewer jobs lose their progress.
        for (size_t i = trial_preempts.size() - 1; i-- > 0;) {
          auto spared = trial_free;
          for (const auto& instance : trial_preempts[i]->instances)
            if (stopped.count(key_of(instance)) == 0)
              give_back(nodes, instance.node, instance.need * -1.0, spared);
          if (gang_fits(job.spec, nodes, reserved_nodes, spared)) {
            trial_free = std::move(spared);
            trial_preempts.erase(trial_preempts.begin() + static_cast<std::ptrdiff_t>(i));
          }
        }
      }
      if (fits) {
        std::set<std::string> now_preempted;
        for (const auto* victim : trial_preempts)
          now_preempted.insert(victim->spec.id);
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
        for (const auto* victim : trial_preempts) {
          decision.preempt.push_back(victim->spec.id);
          preempted[static_cast<size_t>(victim - running.data())] = true;
          any_preempted = true;
        }
        free = std::move(trial_free);
        gang = place_gang(job.spec, nodes, reserved_nodes, free);
      }
    }
    if (gang.ok) {
      decision.start.insert(decision.start.end(), gang.placements.begin(), gang.placements.end());
      started.push_back(running_job{job.spec, std::move(gang.placements), input.now_ms});
      continue;
    }
    feasible_job_waits = true;
    decision.pending_reasons[job.spec.id] = gang.reason;
    if (decision.reserved_for.empty() &&
        input.now_ms - job.waiting_since_ms >= options_.reserve_after_ms) {
      decision.reserved_for = job.spec.id;
      reserved_nodes = reservation_for(job.spec, nodes);
      decision.pending_reasons[job.spec.id] += "; holds a reservation";
    }
  }

  if (!feasible_job_waits && !any_preempted) {
    // Elastic growth into what is left, highest priority first.
    std::vector<running_job*> growers;
    for (auto& r : running)
      if (shrunk.count(r.spec.id) == 0)
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
          if (!place_instances(job->spec.id, role, first + (n - have), 1, nodes, reserved_nodes,
                               free, job->instances, nullptr))
            break;
          decision.start.push_back(job->instances.back());
        }
      }
  }
  return decision;
}

} // namespace dmlp::scheduler
