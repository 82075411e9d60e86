#include "actors/serving/replica.hpp"

#include <chrono>
#include <deque>
#include <map>

#include <caf/all.hpp>

#include "actors/models/errors.hpp"
#include "actors/serving/errors.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::serving {

namespace {

using clock_type = std::chrono::steady_clock;

struct queued_request {
  inference_request request;
  caf::response_promise promise;
};

/// One loaded version with its own batcher and queue.
struct lane {
  lane(models::model_runner r, const batching_options& options)
      : runner(std::move(r)), policy(options) {}
  models::model_runner runner;
  batching_policy policy;
  std::deque<queued_request> queue;
  bool timer_armed = false;
  bool draining = false;
};

struct replica_state {
  replica_options options;
  std::string id;
  caf::actor router;
  std::shared_ptr<serving_metrics> metrics;
  std::map<uint32_t, lane> lanes;
  static inline const char* name = "dmlp.serving.replica";
};

using replica_actor = caf::stateful_actor<replica_state>;

replica_info info_of(replica_actor* self) {
  replica_info out{self->state.id, {}};
  for (auto& [version, l] : self->state.lanes)
    out.versions.push_back(version);
  return out;
}

caf::error load_lane(replica_actor* self, uint32_t version) {
  auto& st = self->state;
  if (st.lanes.count(version)) {
    st.lanes.at(version).draining = false;
    return caf::none;
  }
  auto runner = models::model_runner::load(st.options.model_dir, version, st.options.runner);
  if (!runner)
    return caf::make_error(serving_errc::load_failed,
                           "version " + std::to_string(version) + ": " + describe(runner.error()));
  if (auto err = runner->warm_up(st.options.warm_up_batch))
    return caf::make_error(serving_errc::load_failed,
                           "warm-up of version " + std::to_string(version) + ": " + describe(err));
  st.lanes.emplace(version, lane{std::move(*runner), st.options.batching});
  return caf::none;
}

/// Applies the version's preprocessing record to raw pixel intensities, in place.
void preprocess(const preprocessing& prep, std::vector<float>& values) {
  auto scale = static_cast<float>(prep.scale);
  auto mean = static_cast<float>(prep.mean);
  auto inv = static_cast<float>(1.0 / prep.stddev);
  for (auto& x : values) {
    x *= scale;
    if (prep.standardize)
      x = (x - mean) * inv;
  }
}

void run_batch(replica_actor* self, uint32_t version, lane& l, const batch_decision& d) {
  auto& st = self->state;
  std::vector<queued_request> batch;
  for (size_t i = 0; i < d.requests; ++i) {
    batch.push_back(std::move(l.queue.front()));
    l.queue.pop_front();
  }
  std::vector<float> inputs;
  if (batch.size() == 1) {
    inputs = std::move(batch.front().request.inputs);
  } else {
    inputs.reserve(d.samples * l.runner.sample_size());
    for (auto& q : batch)
      inputs.insert(inputs.end(), q.request.inputs.begin(), q.request.inputs.end());
  }
  preprocess(l.runner.prep(), inputs);
  if (st.metrics)
    st.metrics->record_batch(st.options.model_name, d.samples, to_string(d.reason), d.oldest_wait);
  auto out = l.runner.predict(inputs.data(), d.samples);
  if (!out) {
    for (auto& q : batch)
      q.promise.deliver(out.error());
    return;
  }
  auto classes = l.runner.classes();
  size_t offset = 0;
  for (auto& q : batch) {
    inference_result r;
    r.samples = q.request.samples;
    r.classes = classes;
    r.version = version;
    auto first = out->begin() + offset * classes;
    r.outputs.assign(first, first + size_t{r.samples} * classes);
    offset += r.samples;
    q.promise.deliver(std::move(r));
  }
}

void pump(replica_actor* self, uint32_t version) {
  auto i = self->state.lanes.find(version);
  if (i == self->state.lanes.end())
    return;
  auto& l = i->second;
  while (auto d = l.policy.poll(clock_type::now()))
    run_batch(self, version, l, *d);
  if (auto due = l.policy.deadline(); due && !l.timer_armed) {
    l.timer_armed = true;
    auto wait = std::max(clock_type::duration::zero(), *due - clock_type::now());
    self->delayed_send(self,
                       std::chrono::duration_cast<std::chrono::microseconds>(wait) +
                           std::chrono::microseconds{1},
                       batch_due_atom::value, version);
  }
  if (l.draining && l.queue.empty() && self->state.lanes.size() > 1)
    self->state.lanes.erase(i);
}

caf::behavior replica_behavior(replica_actor* self, replica_options options, std::string id,
                               caf::actor router, std::shared_ptr<serving_metrics> metrics) {
  auto& st = self->state;
  st.options = std::move(options);
  st.id = std::move(id);
  st.router = std::move(router);
  st.metrics = std::move(metrics);
  // The newest version that loads: a corrupt newest version must not keep a restarted
  // replica from serving the one before it (the router skips the corrupt one too).
  auto versions = models::list_versions(st.options.model_dir);
  caf::error err =
      versions
          ? caf::make_error(serving_errc::load_failed, st.options.model_dir + " has no versions")
          : caf::make_error(serving_errc::load_failed, describe(versions.error()));
  if (versions)
    for (auto v = versions->rbegin(); v != versions->rend() && err; ++v)
      err = load_lane(self, *v);
  if (err) {
    self->quit(err);
    return {};
  }
  self->send(st.router, replica_up_atom::value, caf::actor_cast<caf::actor>(self), info_of(self));
  return {
      [=](infer_atom, inference_request& req) -> caf::result<inference_result> {
        auto& lanes = self->state.lanes;
        auto i = lanes.find(req.version);
        if (i == lanes.end())
          i = std::prev(lanes.end()); // The newest version this replica holds.
        auto& l = i->second;
        if (req.samples == 0 || req.inputs.size() != size_t{req.samples} * l.runner.sample_size())
          return caf::make_error(serving_errc::bad_request,
                                 "request holds " + std::to_string(req.inputs.size()) +
                                     " values for " + std::to_string(req.samples) + " samples of " +
                                     std::to_string(l.runner.sample_size()));
        auto rp = self->make_response_promise();
        auto samples = req.samples;
        l.queue.push_back(queued_request{std::move(req), rp});
        l.policy.enqueue(clock_type::now(), samples);
        pump(self, i->first);
        return caf::delegated<inference_result>{};
      },
      [=](batch_due_atom, uint32_t version) {
        auto i = self->state.lanes.find(version);
        if (i != self->state.lanes.end())
          i->second.timer_armed = false;
        pump(self, version);
      },
      [=](load_version_atom, uint32_t version) -> caf::result<replica_info> {
        if (auto err = load_lane(self, version))
          return err;
        return info_of(self);
      },
      [=](unload_version_atom, uint32_t version) {
        auto i = self->state.lanes.find(version);
        if (i == self->state.lanes.end())
          return;
        i->second.draining = true;
        pump(self, version);
      },
  };
}

} // namespace

caf::actor spawn_replica(caf::actor_system& sys, replica_options options, std::string id,
                         caf::actor router, std::shared_ptr<serving_metrics> metrics) {
  return sys.spawn<caf::detached>(replica_behavior, std::move(options), std::move(id),
                                  std::move(router), std::move(metrics));
}

} // namespace dmlp::serving
