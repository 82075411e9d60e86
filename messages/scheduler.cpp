#include "messages/scheduler.hpp"

#include <algorithm>
#include <sstream>

#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::scheduler {

namespace {

// Tolerance for sums of fractional cpus.
constexpr double epsilon = 1e-9;

} // namespace

resources& resources::operator+=(const resources& other) {
  cpus += other.cpus;
  memory_mb += other.memory_mb;
  gpus += other.gpus;
  return *this;
}

resources& resources::operator-=(const resources& other) {
  cpus -= other.cpus;
  memory_mb -= other.memory_mb;
  gpus -= other.gpus;
  return *this;
}

bool resources::fits(const resources& need) const {
  return need.cpus <= cpus + epsilon && need.memory_mb <= memory_mb + epsilon &&
         need.gpus <= gpus + epsilon;
}

bool resources::empty() const {
  return cpus <= epsilon && memory_mb <= epsilon && gpus <= epsilon;
}

double resources::dominant_share(const resources& total) const {
  double share = 0;
  if (total.cpus > 0)
    share = std::max(share, cpus / total.cpus);
  if (total.memory_mb > 0)
    share = std::max(share, memory_mb / total.memory_mb);
  if (total.gpus > 0)
    share = std::max(share, gpus / total.gpus);
  return share;
}

std::string resources::describe() const {
  std::ostringstream out;
  const char* sep = "";
  if (cpus > epsilon) {
    out << cpus << (cpus == 1 ? " cpu" : " cpus");
    sep = ", ";
  }
  if (memory_mb > epsilon) {
    out << sep << memory_mb << " MiB";
    sep = ", ";
  }
  if (gpus > epsilon)
    out << sep << gpus << (gpus == 1 ? " gpu" : " gpus");
  auto text = out.str();
  return text.empty() ? "nothing" : text;
}

resources job_spec::min_resources() const {
  resources total;
  for (const auto& role : roles)
    total += role.per_instance * role.min;
  return total;
}

std::string to_string(job_state state) {
  switch (state) {
    case job_state::pending:
      return "pending";
    case job_state::running:
      return "running";
    case job_state::preempting:
      return "preempting";
    case job_state::finished:
      return "finished";
    case job_state::cancelled:
      return "cancelled";
    case job_state::failed:
      return "failed";
  }
  return "unknown";
}

std::string to_string(scheduler_errc code) {
  switch (code) {
    case scheduler_errc::invalid_job:
      return "invalid_job";
    case scheduler_errc::unknown_job:
      return "unknown_job";
    case scheduler_errc::duplicate_job:
      return "duplicate_job";
    case scheduler_errc::job_over:
      return "job_over";
  }
  return "scheduler_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_scheduler_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("scheduler"));
  add_error_names(caf::atom("scheduler"),
                  [](uint8_t code) { return to_string(static_cast<scheduler_errc>(code)); });
}

} // namespace dmlp::scheduler
