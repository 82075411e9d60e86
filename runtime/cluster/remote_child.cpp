#include "runtime/cluster/remote_child.hpp"

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/supervisor.hpp"

namespace dmlp::runtime {

child_spec remote_worker(std::string id, std::string role, placement where,
                         std::shared_ptr<cluster_view> view, std::string args,
                         std::chrono::milliseconds timeout) {
  auto start = [role, where, view, args,
                timeout](const start_context& ctx) -> caf::expected<caf::actor> {
    auto target = choose_node(view->members(), where, view->last_node(ctx.path));
    if (!target)
      return target.error();
    view->set_last_node(ctx.path, target->name);
    spawn_request req{role, ctx.path, args, ctx.supervisor};
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
