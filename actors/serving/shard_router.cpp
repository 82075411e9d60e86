#include "actors/serving/shard_router.hpp"

#include <algorithm>
#include <memory>

#include <caf/all.hpp>

#include "actors/serving/consistent_hash_ring.hpp"
#include "messages/type_ids.hpp"

namespace dmlp::serving {

namespace {

struct shard_state {
  std::vector<caf::actor> shards;
  shard_options options;
  consistent_hash_ring ring;
  uint64_t next = 0;
  static inline const char* name = "dmlp.serving.shard_router";
};

using shard_actor = caf::stateful_actor<shard_state>;

/// Collects the parts of one split request.
struct gather {
  caf::response_promise promise;
  std::vector<inference_result> parts;
  size_t remaining = 0;
  bool failed = false;
};

caf::behavior shard_behavior(shard_actor* self, std::vector<caf::actor> shards,
                             shard_options options) {
  auto& st = self->state;
  st.shards = std::move(shards);
  st.options = options;
  std::vector<std::string> names;
  for (size_t i = 0; i < st.shards.size(); ++i)
    names.push_back("shard-" + std::to_string(i));
  st.ring.assign(names);
  return {
      [=](infer_atom, inference_request& req) -> caf::result<inference_result> {
        auto& st = self->state;
        auto k = st.shards.size();
        if (!req.key.empty() || req.samples < std::max<uint32_t>(2, st.options.min_split) ||
            k < 2) {
          size_t target = st.next++ % k;
          if (!req.key.empty()) {
            auto owner = *st.ring.owner(req.key);
            target = std::stoul(owner.substr(6));
          }
          self->delegate(st.shards[target], infer_atom::value, std::move(req));
          return caf::delegated<inference_result>{};
        }
        auto parts = std::min<size_t>(k, req.samples);
        auto per_sample = req.inputs.size() / req.samples;
        auto g = std::make_shared<gather>();
        g->promise = self->make_response_promise();
        g->parts.resize(parts);
        g->remaining = parts;
        size_t first = 0;
        for (size_t i = 0; i < parts; ++i) {
          auto count = req.samples / parts + (i < req.samples % parts ? 1 : 0);
          inference_request sub;
          sub.version = req.version;
          sub.samples = static_cast<uint32_t>(count);
          sub.inputs.assign(req.inputs.begin() + first * per_sample,
                            req.inputs.begin() + (first + count) * per_sample);
          first += count;
          self->request(st.shards[i], st.options.timeout, infer_atom::value, std::move(sub))
              .then(
                  [=](inference_result& part) {
                    if (g->failed)
                      return;
                    g->parts[i] = std::move(part);
                    if (--g->remaining > 0)
                      return;
                    inference_result merged;
                    merged.classes = g->parts.front().classes;
                    merged.version = g->parts.front().version;
                    for (auto& p : g->parts) {
                      merged.samples += p.samples;
                      merged.outputs.insert(merged.outputs.end(), p.outputs.begin(),
                                            p.outputs.end());
                    }
                    g->promise.deliver(std::move(merged));
                  },
                  [=](caf::error& err) {
                    if (g->failed)
                      return;
                    g->failed = true;
                    g->promise.deliver(std::move(err));
                  });
        }
        return caf::delegated<inference_result>{};
      },
      [=](router_stats_atom) -> caf::result<router_stats> {
        struct sum_state {
          caf::response_promise promise;
          router_stats total;
          size_t remaining;
          bool first = true;
        };
        auto s = std::make_shared<sum_state>();
        s->promise = self->make_response_promise();
        s->remaining = self->state.shards.size();
        for (auto& shard : self->state.shards)
          self->request(shard, std::chrono::seconds{5}, router_stats_atom::value)
              .then(
                  [=](router_stats& part) {
                    auto& t = s->total;
                    t.ready_replicas = s->first ? part.ready_replicas
                                                : std::min(t.ready_replicas, part.ready_replicas);
                    s->first = false;
                    t.in_flight += part.in_flight;
                    t.waiting += part.waiting;
                    t.stable_version = std::max(t.stable_version, part.stable_version);
                    t.canary_version = std::max(t.canary_version, part.canary_version);
                    t.served += part.served;
                    t.retries += part.retries;
                    t.failed += part.failed;
                    if (--s->remaining == 0)
                      s->promise.deliver(t);
                  },
                  [=](caf::error& err) {
                    if (s->remaining > 0) {
                      s->remaining = 0;
                      s->promise.deliver(std::move(err));
                    }
                  });
        return caf::delegated<router_stats>{};
      },
  };
}

} // namespace

caf::actor spawn_shard_router(caf::actor_system& sys, std::vector<caf::actor> shards,
                              shard_options options) {
  return sys.spawn(shard_behavior, std::move(shards), options);
}

} // namespace dmlp::serving
