#include "actors/serving/autoscaler.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "messages/type_ids.hpp"

namespace dmlp::serving {

namespace {

using clock_type = std::chrono::steady_clock;

struct autoscaler_state {
  autoscaler_state() : policy(autoscale_options{}) {}
  autoscale_policy policy;
  caf::actor router;
  caf::actor pool;
  std::vector<std::string> members;
  uint32_t next_id = 1;
  static inline const char* name = "dmlp.serving.autoscaler";
};

using autoscaler_actor = caf::stateful_actor<autoscaler_state>;

void resize(autoscaler_actor* self, uint32_t wanted) {
  auto& st = self->state;
  while (st.members.size() < wanted) {
    auto id = "replica-" + std::to_string(st.next_id++);
    st.members.push_back(id);
    self->request(st.pool, std::chrono::seconds{30}, start_child_atom::value, id, caf::message{})
        .then([](const caf::actor&) {}, [](caf::error&) {});
  }
  while (st.members.size() > wanted) {
    self->request(st.pool, std::chrono::seconds{30}, terminate_child_atom::value, st.members.back())
        .then([] {}, [](caf::error&) {});
    st.members.pop_back();
  }
}

caf::behavior autoscaler_behavior(autoscaler_actor* self, autoscale_options options,
                                  uint32_t initial, caf::actor router, caf::actor pool) {
  auto& st = self->state;
  st.policy = autoscale_policy{options};
  st.router = std::move(router);
  st.pool = std::move(pool);
  auto& o = st.policy.options();
  resize(self, std::clamp(initial, o.min_replicas, o.max_replicas));
  if (o.min_replicas != o.max_replicas)
    self->send(self, scale_tick_atom::value);
  return {
      [=](scale_tick_atom) {
        auto tick = self->state.policy.options().tick;
        self->request(self->state.router, tick + std::chrono::seconds{1}, router_stats_atom::value)
            .then(
                [=](router_stats& stats) {
                  auto& st = self->state;
                  auto now = clock_type::now();
                  st.policy.observe(now, stats.in_flight + stats.waiting);
                  resize(self, st.policy.decide(now, static_cast<uint32_t>(st.members.size()),
                                                stats.waiting));
                  self->delayed_send(self, tick, scale_tick_atom::value);
                },
                [=](caf::error&) { self->delayed_send(self, tick, scale_tick_atom::value); });
      },
  };
}

} // namespace

caf::actor spawn_autoscaler(caf::actor_system& sys, autoscale_options options, uint32_t initial,
                            caf::actor router, caf::actor pool) {
  return sys.spawn(autoscaler_behavior, options, initial, std::move(router), std::move(pool));
}

} // namespace dmlp::serving
