#include "runtime/fault_injector.hpp"

#include <deque>

#include <caf/all.hpp>

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"

namespace dmlp::runtime {

std::optional<caf::error> parse_exit_reason(const std::string& name) {
  if (name == "kill")
    return caf::error{caf::exit_reason::kill};
  if (name == "shutdown")
    return caf::error{caf::exit_reason::user_shutdown};
  if (name == "error")
    return caf::error{caf::exit_reason::unhandled_exception};
  if (name == "normal")
    return caf::error{caf::exit_reason::normal};
  return std::nullopt;
}

fault_injector::fault_injector(caf::actor_system& sys, caf::actor root, std::string root_path,
                               uint64_t seed, std::chrono::milliseconds timeout)
    : sys_(sys), root_(std::move(root)), root_path_(std::move(root_path)), rng_(seed),
      timeout_(timeout) {}

caf::expected<std::vector<tree_entry>> fault_injector::walk() {
  std::vector<tree_entry> found;
  std::deque<tree_entry> supervisors{tree_entry{root_path_, root_, child_kind::supervisor}};
  caf::scoped_actor self{sys_};
  while (!supervisors.empty()) {
    auto current = supervisors.front();
    supervisors.pop_front();
    caf::error failure;
    self->request(current.handle, timeout_, which_children_atom::value)
        .receive(
            [&](const std::vector<child_info>& children) {
              for (const auto& child : children) {
                if (!child.handle)
                  continue;
                tree_entry entry{current.path + "/" + child.id, child.handle, child.kind};
                found.push_back(entry);
                if (child.kind == child_kind::supervisor)
                  supervisors.push_back(entry);
              }
            },
            [&](caf::error& err) { failure = std::move(err); });
    // A supervisor that died while we walked simply contributes no children.
    if (failure && current.handle == root_)
      return failure;
  }
  return found;
}

caf::expected<tree_entry> fault_injector::kill(tree_entry target, const caf::error& reason) {
  // anon_send_exit takes only exit_reason codes; any error may serve as an exit reason.
  target.handle->enqueue(nullptr, caf::make_message_id(),
                         caf::make_message(caf::exit_msg{target.handle.address(), reason}),
                         nullptr);
  return target;
}

caf::expected<tree_entry> fault_injector::kill_by_name(const std::string& path,
                                                       const caf::error& reason) {
  auto entries = walk();
  if (!entries)
    return entries.error();
  for (auto& entry : *entries)
    if (entry.path == path)
      return kill(entry, reason);
  return caf::make_error(runtime_errc::no_such_target, "no running actor at " + path);
}

caf::expected<tree_entry> fault_injector::kill_by_id(uint64_t id, const caf::error& reason) {
  auto entries = walk();
  if (!entries)
    return entries.error();
  for (auto& entry : *entries)
    if (entry.handle.id() == id)
      return kill(entry, reason);
  return caf::make_error(runtime_errc::no_such_target,
                         "no running actor with id " + std::to_string(id));
}

caf::expected<tree_entry> fault_injector::kill_random(const std::string& subtree,
                                                      const caf::error& reason,
                                                      bool include_supervisors) {
  auto entries = walk();
  if (!entries)
    return entries.error();
  std::vector<tree_entry> candidates;
  auto prefix = subtree + "/";
  for (auto& entry : *entries)
    if ((subtree == root_path_ || entry.path.compare(0, prefix.size(), prefix) == 0) &&
        (include_supervisors || entry.kind == child_kind::worker))
      candidates.push_back(entry);
  if (candidates.empty())
    return caf::make_error(runtime_errc::no_such_target, "no running actor below " + subtree);
  std::uniform_int_distribution<size_t> pick{0, candidates.size() - 1};
  return kill(candidates[pick(rng_)], reason);
}

} // namespace dmlp::runtime
