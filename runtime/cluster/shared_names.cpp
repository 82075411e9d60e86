#include "runtime/cluster/shared_names.hpp"

#include <set>

#include <caf/all.hpp>

#include "messages/type_ids.hpp"

namespace dmlp::runtime {

namespace {

struct mirror_state {
  static inline const char* name = "dmlp.name_mirror";
  std::shared_ptr<name_registry> mirror;
  caf::actor directory;
  std::string prefix;
  std::chrono::milliseconds interval{100};
};

using mirror_actor = caf::stateful_actor<mirror_state>;

// Puts what the directory holds and removes what it no longer holds (a stopped peer).
void replace_entries(name_registry& mirror, const std::string& prefix,
                     const std::vector<cluster_name>& fresh) {
  std::set<std::string> present;
  for (const auto& entry : fresh) {
    present.insert(entry.name);
    mirror.put(entry.name, entry.handle);
  }
  for (const auto& [path, handle] : mirror.list(prefix))
    if (present.count(path) == 0)
      mirror.erase(path, handle);
}

caf::behavior mirror_fun(mirror_actor* self, std::shared_ptr<name_registry> mirror,
                         caf::actor directory, std::string prefix, caf::actor child,
                         std::chrono::milliseconds interval) {
  auto& st = self->state;
  st.mirror = std::move(mirror);
  st.directory = std::move(directory);
  st.prefix = std::move(prefix);
  st.interval = interval;
  self->monitor(child);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  self->send(self, lookup_names_atom::value);
  return {
      [self](lookup_names_atom) {
        auto& st = self->state;
        // An unanswered refresh keeps the last names: the peers' node may be slow, and when it
        // is lost the child's owner goes with it and the child is stopped anyway.
        self->request(st.directory, st.interval * 10, lookup_names_atom::value, st.prefix)
            .then(
                [self](std::vector<cluster_name>& fresh) {
                  replace_entries(*self->state.mirror, self->state.prefix, fresh);
                },
                [](caf::error&) {});
        self->delayed_send(self, st.interval, lookup_names_atom::value);
      },
  };
}

} // namespace

std::vector<cluster_name> names_under(const name_registry& names, const std::string& prefix) {
  std::vector<cluster_name> result;
  for (auto& [path, handle] : names.list(prefix))
    result.push_back(cluster_name{path, handle, {}});
  return result;
}

caf::actor spawn_name_directory(caf::actor_system& sys, std::shared_ptr<name_registry> names,
                                const caf::actor& owner) {
  return sys.spawn([names, owner](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(owner);
    self->set_down_handler([self](caf::down_msg&) { self->quit(); });
    return {
        [names](lookup_names_atom, const std::string& prefix) {
          return names_under(*names, prefix);
        },
    };
  });
}

std::shared_ptr<name_registry> mirror_registry(const spawn_request& request) {
  auto mirror = std::make_shared<name_registry>();
  for (const auto& entry : request.names)
    mirror->put(entry.name, entry.handle);
  return mirror;
}

void keep_mirror_fresh(caf::actor_system& sys, std::shared_ptr<name_registry> mirror,
                       const spawn_request& request, const caf::actor& child,
                       std::chrono::milliseconds interval) {
  if (!request.directory || request.names_prefix.empty() || !child)
    return;
  sys.spawn(mirror_fun, std::move(mirror), request.directory, request.names_prefix, child,
            interval);
}

} // namespace dmlp::runtime
