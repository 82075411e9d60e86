#include "apps/pipeline/gang_admission.hpp"

#include <caf/all.hpp>

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/scheduler.hpp"
#include "messages/type_ids.hpp"
#include "messages/workflow.hpp"

namespace dmlp::pipeline {

gang_admission scheduler_admission(caf::actor_system& sys, scheduler_resolver resolve,
                                   std::chrono::milliseconds timeout) {
  return [&sys, resolve, timeout](const scheduler::job_spec& spec) -> caf::expected<granted_gang> {
    auto scheduler = resolve();
    if (!scheduler)
      return caf::make_error(step_errc::unavailable, "no scheduler for job " + spec.id + ": " +
                                                         describe(scheduler.error()));
    caf::scoped_actor self{sys};
    scheduler::job_submission submission{spec, caf::actor_cast<caf::actor>(self), ""};
    std::string id;
    caf::error failure;
    self->request(*scheduler, std::chrono::seconds(30), sched_submit_atom::value, submission)
        .receive([&](std::string& assigned) { id = std::move(assigned); },
                 [&](caf::error& err) { failure = std::move(err); });
    if (failure)
      return caf::make_error(step_errc::unavailable, "the scheduler did not take job " + spec.id +
                                                         ": " + describe(failure));
    bool granted = false;
    std::vector<std::string> trainer_nodes;
    self->receive_while([&] { return !granted && !failure; })(
        [&](scheduler::job_grant& grant) {
          granted = grant.job == id;
          for (const auto& p : grant.placements)
            if (granted && p.role == "trainer")
              trainer_nodes.push_back(p.node);
        },
        [&](sched_cancel_atom, const std::string& job) {
          if (job == id)
            failure = caf::make_error(step_errc::cancelled, "job " + id + " was cancelled");
        },
        caf::after(timeout) >>
            [&] {
              failure = caf::make_error(step_errc::unavailable,
                                        "job " + id + " was not placed within " +
                                            std::to_string(timeout.count()) + " ms");
            });
    if (failure) {
      caf::anon_send(*scheduler, sched_cancel_atom::value, id);
      return failure;
    }
    gang_lease lease{new std::string(id), [resolve](void* p) {
                       auto job = static_cast<std::string*>(p);
                       if (auto current = resolve())
                         caf::anon_send(*current, sched_finish_atom::value, *job);
                       delete job;
                     }};
    return granted_gang{std::move(lease), std::move(trainer_nodes)};
  };
}

} // namespace dmlp::pipeline
