#include "actors/serving/router.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/models/errors.hpp"
#include "actors/models/model_artifact.hpp"
#include "actors/serving/errors.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::serving {

namespace {

struct replica_entry {
  caf::actor handle;
  std::string id;
  std::vector<uint32_t> versions;
  uint32_t outstanding = 0;

  bool has(uint32_t v) const {
    return std::find(versions.begin(), versions.end(), v) != versions.end();
  }
};

struct pending_request {
  inference_request request;
  caf::response_promise promise;
  uint32_t attempt = 0;
  caf::actor_addr replica;
  bool waiting = false;
};

struct router_state {
  router_options options;
  std::shared_ptr<serving_metrics> metrics;
  std::unique_ptr<balancing_policy> policy;
  std::vector<replica_entry> replicas;
  std::unordered_map<uint64_t, pending_request> pending;
  std::deque<uint64_t> waiting;
  uint64_t next_id = 1;
  uint32_t stable = 0;
  uint32_t canary = 0;
  uint32_t loading = 0;
  uint32_t canary_credit = 0;
  std::set<uint32_t> failed_versions;
  router_stats counters;
  std::vector<std::pair<uint32_t, caf::response_promise>> ready_waiters;
  static inline const char* name = "dmlp.serving.router";
};

using router_actor = caf::stateful_actor<router_state>;

replica_entry* find_replica(router_actor* self, const caf::actor_addr& addr) {
  for (auto& r : self->state.replicas)
    if (r.handle.address() == addr)
      return &r;
  return nullptr;
}

void publish_gauges(router_actor* self) {
  auto& st = self->state;
  if (!st.metrics)
    return;
  st.metrics->set_ready_replicas(st.options.model_name, static_cast<double>(st.replicas.size()));
  st.metrics->set_queue_depth(st.options.model_name, static_cast<double>(st.pending.size()));
}

void finish(router_actor* self, uint64_t id, caf::error err) {
  auto i = self->state.pending.find(id);
  if (i == self->state.pending.end())
    return;
  ++self->state.counters.failed;
  i->second.promise.deliver(std::move(err));
  self->state.pending.erase(i);
  publish_gauges(self);
}

uint32_t target_version(router_actor* self) {
  auto& st = self->state;
  if (st.canary == 0 || st.options.canary_percent == 0)
    return st.stable;
  st.canary_credit += st.options.canary_percent;
  if (st.canary_credit >= 100) {
    st.canary_credit -= 100;
    return st.canary;
  }
  return st.stable;
}

void dispatch(router_actor* self, uint64_t id);

void on_failure(router_actor* self, uint64_t id, uint32_t attempt, const caf::error& err) {
  auto i = self->state.pending.find(id);
  if (i == self->state.pending.end() || i->second.attempt != attempt || i->second.waiting)
    return;
  if (err == serving_errc::bad_request || err == models::model_errc::bad_input) {
    finish(self, id, err);
    return;
  }
  if (attempt >= self->state.options.max_attempts) {
    finish(self, id,
           caf::make_error(serving_errc::attempts_exhausted,
                           std::to_string(attempt) + " attempts failed, last: " + describe(err)));
    return;
  }
  ++self->state.counters.retries;
  if (self->state.metrics)
    self->state.metrics->record_retry(self->state.options.model_name);
  dispatch(self, id);
}

void dispatch(router_actor* self, uint64_t id) {
  auto& st = self->state;
  auto& p = st.pending.at(id);
  auto version = p.request.version != 0 ? p.request.version : target_version(self);
  // Candidates: replicas holding the version; the replica that just failed goes last.
  std::vector<size_t> index;
  for (size_t i = 0; i < st.replicas.size(); ++i)
    if (st.replicas[i].has(version) && st.replicas[i].handle.address() != p.replica)
      index.push_back(i);
  if (index.empty())
    for (size_t i = 0; i < st.replicas.size(); ++i)
      if (st.replicas[i].handle.address() != p.replica)
        index.push_back(i);
  if (index.empty())
    for (size_t i = 0; i < st.replicas.size(); ++i)
      index.push_back(i);
  if (index.empty()) {
    p.waiting = true;
    ++p.attempt;
    st.waiting.push_back(id);
    self->delayed_send(self, st.options.cold_start_wait, wait_due_atom::value, id, p.attempt);
    publish_gauges(self);
    return;
  }
  std::vector<replica_view> views;
  for (auto i : index)
    views.push_back(replica_view{st.replicas[i].id, st.replicas[i].outstanding});
  auto& chosen = st.replicas[index[*st.policy->pick(views, p.request.key)]];
  ++chosen.outstanding;
  p.waiting = false;
  p.replica = chosen.handle.address();
  auto attempt = ++p.attempt;
  auto addr = p.replica;
  auto request = p.request;
  request.version = version;
  self->request(chosen.handle, st.options.replica_timeout, infer_atom::value, std::move(request))
      .then(
          [=](inference_result& result) {
            if (auto* r = find_replica(self, addr); r && r->outstanding > 0)
              --r->outstanding;
            auto i = self->state.pending.find(id);
            if (i == self->state.pending.end() || i->second.attempt != attempt)
              return;
            ++self->state.counters.served;
            i->second.promise.deliver(std::move(result));
            self->state.pending.erase(i);
            publish_gauges(self);
          },
          [=](caf::error& err) {
            if (auto* r = find_replica(self, addr); r && r->outstanding > 0)
              --r->outstanding;
            on_failure(self, id, attempt, err);
          });
}

router_stats stats_of(router_actor* self) {
  auto& st = self->state;
  router_stats out = st.counters;
  out.ready_replicas = static_cast<uint32_t>(st.replicas.size());
  out.waiting = static_cast<uint32_t>(std::count_if(
      st.pending.begin(), st.pending.end(), [](const auto& kv) { return kv.second.waiting; }));
  out.in_flight = static_cast<uint32_t>(st.pending.size()) - out.waiting;
  out.stable_version = st.stable;
  out.canary_version = st.canary;
  return out;
}

void release_waiting(router_actor* self) {
  auto& waiters = self->state.ready_waiters;
  for (auto i = waiters.begin(); i != waiters.end();) {
    if (self->state.replicas.size() >= i->first) {
      i->second.deliver(stats_of(self));
      i = waiters.erase(i);
    } else {
      ++i;
    }
  }
  auto ids = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto id : ids) {
    auto i = self->state.pending.find(id);
    if (i != self->state.pending.end() && i->second.waiting)
      dispatch(self, id);
  }
}

void send_unload(router_actor* self, uint32_t version) {
  for (auto& r : self->state.replicas) {
    r.versions.erase(std::remove(r.versions.begin(), r.versions.end(), version), r.versions.end());
    self->send(r.handle, unload_version_atom::value, version);
  }
}

void check_rollout(router_actor* self) {
  auto& st = self->state;
  if (st.loading == 0 || st.replicas.empty())
    return;
  for (auto& r : st.replicas)
    if (!r.has(st.loading))
      return;
  auto fresh = st.loading;
  st.loading = 0;
  if (st.options.canary_percent == 0 || st.options.canary_percent >= 100) {
    auto old = st.stable;
    st.stable = fresh;
    if (old != 0 && old != fresh)
      send_unload(self, old);
    return;
  }
  st.canary = fresh;
  st.canary_credit = 0;
  self->delayed_send(self, st.options.canary_duration, promote_atom::value, fresh);
}

void ask_to_load(router_actor* self, replica_entry& r, uint32_t version) {
  auto addr = r.handle.address();
  self->request(r.handle, self->state.options.load_timeout, load_version_atom::value, version)
      .then(
          [=](replica_info& info) {
            if (auto* e = find_replica(self, addr))
              e->versions = info.versions;
            check_rollout(self);
          },
          [=](caf::error& err) {
            // A replica that died is handled by its down message; a version that does not load
            // is skipped for good and the current one stays in service.
            if (err == caf::sec::request_receiver_down || !find_replica(self, addr))
              return;
            self->state.failed_versions.insert(version);
            if (self->state.loading == version)
              self->state.loading = 0;
          });
}

void check_versions(router_actor* self) {
  auto& st = self->state;
  auto newest = models::newest_version(st.options.model_dir);
  if (!newest || st.stable == 0 || *newest <= std::max(st.stable, st.canary) ||
      *newest == st.loading || st.failed_versions.count(*newest))
    return;
  st.loading = *newest;
  for (auto& r : st.replicas)
    if (!r.has(*newest))
      ask_to_load(self, r, *newest);
  check_rollout(self);
}

caf::behavior router_behavior(router_actor* self, router_options options,
                              std::shared_ptr<serving_metrics> metrics) {
  auto& st = self->state;
  st.options = std::move(options);
  st.options.max_attempts = std::max<uint32_t>(1, st.options.max_attempts);
  st.metrics = std::move(metrics);
  st.policy = make_balancing_policy(st.options.balancing);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& replicas = self->state.replicas;
    auto i = std::find_if(replicas.begin(), replicas.end(),
                          [&](const replica_entry& r) { return r.handle.address() == msg.source; });
    if (i == replicas.end())
      return;
    replicas.erase(i);
    // Requests in flight on the dead replica go elsewhere now; their late replies are ignored.
    std::vector<uint64_t> orphans;
    for (auto& [id, p] : self->state.pending)
      if (!p.waiting && p.replica == msg.source)
        orphans.push_back(id);
    for (auto id : orphans) {
      auto& p = self->state.pending.at(id);
      on_failure(self, id, p.attempt,
                 caf::make_error(caf::sec::request_receiver_down, "replica went down"));
    }
    check_rollout(self);
    publish_gauges(self);
  });
  if (st.options.version_poll.count() > 0)
    self->delayed_send(self, st.options.version_poll, check_versions_atom::value);
  return {
      [=](infer_atom, inference_request& req) -> caf::result<inference_result> {
        auto id = self->state.next_id++;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, pending_request{std::move(req), rp, 0, {}, false});
        dispatch(self, id);
        return caf::delegated<inference_result>{};
      },
      [=](replica_up_atom, caf::actor replica, replica_info& info) {
        auto& st = self->state;
        auto* known = find_replica(self, replica.address());
        if (known == nullptr) {
          self->monitor(replica);
          st.replicas.push_back(replica_entry{replica, info.id, info.versions, 0});
          known = &st.replicas.back();
        } else {
          known->versions = info.versions;
        }
        if (st.stable == 0 && !info.versions.empty())
          st.stable = info.versions.back();
        for (auto v : {st.stable, st.canary, st.loading})
          if (v != 0 && !known->has(v) && !st.failed_versions.count(v))
            ask_to_load(self, *known, v);
        release_waiting(self);
        check_rollout(self);
        publish_gauges(self);
      },
      [=](wait_due_atom, uint64_t id, uint32_t attempt) {
        auto i = self->state.pending.find(id);
        if (i == self->state.pending.end() || !i->second.waiting || i->second.attempt != attempt)
          return;
        finish(self, id,
               caf::make_error(
                   serving_errc::no_replica,
                   "no replica of '" + self->state.options.model_name + "' became ready within " +
                       std::to_string(self->state.options.cold_start_wait.count()) + " ms"));
      },
      [=](check_versions_atom) {
        check_versions(self);
        self->delayed_send(self, self->state.options.version_poll, check_versions_atom::value);
      },
      [=](promote_atom, uint32_t version) {
        auto& st = self->state;
        if (st.canary != version)
          return;
        auto old = st.stable;
        st.stable = version;
        st.canary = 0;
        if (old != version)
          send_unload(self, old);
      },
      [=](router_stats_atom) { return stats_of(self); },
      [=](await_ready_atom, uint32_t n) -> caf::result<router_stats> {
        if (self->state.replicas.size() >= n)
          return stats_of(self);
        auto rp = self->make_response_promise();
        self->state.ready_waiters.emplace_back(n, rp);
        return caf::delegated<router_stats>{};
      },
  };
}

} // namespace

caf::actor spawn_router(caf::actor_system& sys, router_options options,
                        std::shared_ptr<serving_metrics> metrics) {
  return sys.spawn(router_behavior, std::move(options), std::move(metrics));
}

} // namespace dmlp::serving
