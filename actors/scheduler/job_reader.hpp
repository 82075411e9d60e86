// Reads the scheduling half of a job file (configs/jobs/*.yaml) into a job_spec, strictly in
// the style of runtime/config: every error names the file and the key path, e.g.
//   job.yaml: roles[1].min: expected a non-negative integer
// Keys: id (or name), user, group, priority, roles: [{role, cpus, memory_mb, gpus, selector:
// ["key=value", …], min, max}]. What the job runs (e.g. a `training:` section) is its caller's
// to read; finish() is left to the caller too. Plain function; not thread-safe (the reader).
#pragma once

#include <caf/error.hpp>

#include "messages/scheduler.hpp"
#include "runtime/config.hpp"

namespace dmlp::scheduler {

/// Reads id, user, group, priority and roles from `reader` into `spec`. Defaults: user and
/// group "default", priority 0, min 1, max = min; at least one role is required.
caf::error read_job_spec(runtime::config_reader& reader, job_spec& spec);

} // namespace dmlp::scheduler
