#include "runtime/cluster/remote_child.hpp"

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/shared_names.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::runtime {

child_spec remote_worker(std::string id, std::string role, placement where,
                         std::shared_ptr<cluster_view> view, std::string args,
                         std::chrono::milliseconds timeout, std::string shared_prefix) {
  // One directory per supervisor of the spec, created by the first start under it and stopped
  // with it (a restarted supervisor gets a new one).
  struct directory_slot {
    caf::actor_addr owner;
    caf::actor handle;
  };
  auto directory = std::make_shared<directory_slot>();
  auto start = [role, where, view, args, timeout, shared_prefix,
                directory](const start_context& ctx) -> caf::expected<caf::actor> {
    auto target = choose_node(view->members(), where, view->last_node(ctx.path));
    if (!target)
      return target.error();
    view->set_last_node(ctx.path, target->name);
    spawn_request req{role, ctx.path, args, ctx.supervisor, {}, {}, {}};
    if (!shared_prefix.empty() && ctx.services.names) {
      if (directory->owner != ctx.supervisor.address()) {
        directory->owner = ctx.supervisor.address();
        directory->handle = spawn_name_directory(ctx.system, ctx.services.names, ctx.supervisor);
      }
      req.names = names_under(*ctx.services.names, shared_prefix);
      req.names_prefix = shared_prefix;
      req.directory = directory->handle;
    }
    // Through the agent even on this node: the agent records what it hosts (status, placement
    // load) and stops it when its supervisor is lost, wherever that supervisor runs.
    if (!target->agent)
      return caf::make_error(cluster_errc::unreachable, target->name + ": no agent handle");
    caf::expected<caf::actor> result = caf::make_error(cluster_errc::unreachable, target->name);
    caf::scoped_actor self{ctx.system};
    self->request(target->agent, timeout, cl_spawn_atom::value, std::move(req))
        .receive([&](caf::actor& child) { result = std::move(child); },
                 [&](caf::error& err) {
                   result = caf::make_error(cluster_errc::unreachable, "start of " + ctx.path +
                                                                           " on " + target->name +
                                                                           ": " + describe(err));
                 });
    if (result)
      view->note_spawn(target->name);
    return result;
  };
  return worker(std::move(id), std::move(start));
}

} // namespace dmlp::runtime
