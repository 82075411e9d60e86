// A custom actor topology in a dozen lines: a sensor feeding a pool of aggregators, under a
// root that restarts the whole group when the sensor fails, with the aggregators' pool
// supervised on its own. Run: build/bin/example_custom_topology
// It starts the tree, kills the sensor once, shows the tree restarting, and shuts down.
#include <iostream>

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/fault_injector.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::runtime;

namespace {

caf::behavior aggregator(caf::event_based_actor*) {
  return {[](caf::add_atom, int64_t x, int64_t y) { return x + y; }};
}

caf::behavior sensor(caf::event_based_actor*) {
  return {[](caf::get_atom) { return int64_t{42}; }};
}

start_function spawn_of(caf::behavior (*fn)(caf::event_based_actor*)) {
  return
      [fn](const start_context& ctx) -> caf::expected<caf::actor> { return ctx.system.spawn(fn); };
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto services = make_services(sys);

  // The topology: everything it takes is here.
  supervisor_spec root{"station", strategy::one_for_all};
  root.with_intensity(5, std::chrono::seconds{10})
      .add(worker("sensor", spawn_of(sensor)))
      .add(supervisor(
          supervisor_spec{"aggregators", strategy::simple_one_for_one}.with_initial_members(3).add(
              worker("agg", spawn_of(aggregator)))));
  auto tree = spawn_supervisor(sys, root, services);

  caf::scoped_actor self{sys};
  self->join(services.events);
  fault_injector injector{sys, tree, "station", 1};
  auto print_tree = [&] {
    if (auto entries = injector.walk())
      for (auto& entry : *entries)
        std::cout << "  " << entry.path << " (actor " << entry.handle.id() << ")\n";
  };
  std::cout << "tree:\n";
  print_tree();
  auto killed = injector.kill_by_name("station/sensor", caf::exit_reason::kill);
  std::cout << "killed " << (killed ? killed->path : describe(killed.error())) << "\n";
  // one_for_all: the sensor and the aggregator pool come back; wait for the pool's restart.
  bool pool_back = false;
  while (!pool_back)
    self->receive([&](const supervision_event& e) {
      std::cout << "event: " << e.supervisor << "/" << e.child << " " << to_string(e.kind) << "\n";
      pool_back = e.kind == supervision_event_kind::restarted && e.child == "aggregators";
    });
  std::cout << "tree after the restart:\n";
  print_tree();
  self->send_exit(tree, caf::exit_reason::user_shutdown);
  return 0;
}
