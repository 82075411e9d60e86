// Recovery benchmark (issue 5: "Recovery: time from a trainer kill to the next committed step;
// steps redone"). Runs short real jobs (model cnn, 2 trainers, Fashion-MNIST subset) with
// scheduled kills (job_options::events), and for every kill measures on the job's own progress
// stream the wall time
//   next commit    from the kill to the next committed step, and
//   full strength  from the kill to the first committed step with every worker back,
// expressed also in steps of the same job's fault-free run (its median step time, measured in
// this run first). Steps redone: allreduce, the steps the master aborted because a member was
// lost mid-step (job_report::aborted_steps; the survivors compute them again); ps, batches whose
// gradient the shards applied twice (samples_committed − samples_trained, in batches). Kills:
//   allreduce  kill_trainer, kill_coordinator, kill_trainer
//   ps (sync)  kill_trainer, kill_shard, kill_trainer
// A kill is applied by the job's listener right after it reported the step the kill is
// scheduled at, so that report's time is the kill's time.
// Run: build/bin/bench/bench_recovery [--quick] [--samples N] [--only allreduce|ps] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/training/errors.hpp"
#include "apps/jobs/training_job.hpp"
#include "messages/errors.hpp"

using namespace dmlp;
using namespace dmlp::training;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr uint32_t workers = 2;
constexpr uint32_t batch = 64;

// One progress report of a job: when, committed steps, live workers.
struct progress_mark {
  clock_type::time_point at;
  uint64_t steps = 0;
  uint32_t workers = 0;
};

// A finished job and the progress it reported.
struct recorded_run {
  job_report report;
  std::vector<progress_mark> marks;
};

// What one kill cost.
struct kill_result {
  job_event::kind what = job_event::kind::kill_trainer;
  uint64_t at_step = 0;
  double next_commit_ms = -1;
  double full_strength_ms = -1;
};

const char* name_of(job_event::kind what) {
  switch (what) {
    case job_event::kind::kill_trainer:
      return "trainer";
    case job_event::kind::kill_shard:
      return "shard";
    case job_event::kind::kill_coordinator:
      return "coordinator";
    default:
      return "other";
  }
}

double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

job_options job_for(strategy kind, uint64_t samples) {
  job_options o;
  o.kind = kind;
  o.workers = workers;
  o.batch_size = batch;
  o.train_samples = samples;
  o.test_samples = 100;
  o.ps_shards = 2;
  o.mode = consistency::sync;
  o.checkpoint_every = 10;
  o.timeout = std::chrono::minutes(2);
  return o;
}

caf::expected<recorded_run> run_recorded(job_options o) {
  auto out = std::make_shared<recorded_run>();
  auto mtx = std::make_shared<std::mutex>();
  o.on_progress = [out, mtx](uint64_t steps, uint64_t, double, uint64_t, uint32_t live) {
    std::lock_guard<std::mutex> guard{*mtx};
    out->marks.push_back({clock_type::now(), steps, live});
  };
  auto report = run_training(o);
  if (!report)
    return report.error();
  std::lock_guard<std::mutex> guard{*mtx};
  out->report = std::move(*report);
  return std::move(*out);
}

// Median wall time per committed step of a fault-free run, over windows of `window` steps (a
// PS job's trainers report their pushes in bursts, one per trainer, so single intervals are
// either ~0 or a whole round).
double median_step_ms(const std::vector<progress_mark>& marks, uint64_t window) {
  std::map<uint64_t, clock_type::time_point> reached;
  for (auto& m : marks)
    if (m.steps > 0)
      reached.emplace(m.steps, m.at);
  std::vector<double> per_step;
  for (auto& [steps, at] : reached)
    if (auto later = reached.find(steps + window); later != reached.end())
      per_step.push_back(ms_between(at, later->second) / static_cast<double>(window));
  return median(per_step);
}

// Finds each kill in the progress stream the way the job's listener applies it: at the first
// report whose step count reached the event's step.
std::vector<kill_result> measure_kills(const std::vector<progress_mark>& marks,
                                       std::vector<job_event> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const job_event& a, const job_event& b) { return a.at_step < b.at_step; });
  std::vector<kill_result> out;
  size_t next_event = 0;
  for (size_t i = 0; i < marks.size() && next_event < events.size(); ++i) {
    while (next_event < events.size() && events[next_event].at_step <= marks[i].steps) {
      kill_result k;
      k.what = events[next_event].what;
      k.at_step = marks[i].steps;
      bool short_handed = false;
      for (size_t j = i + 1; j < marks.size(); ++j) {
        if (marks[j].workers < workers)
          short_handed = true;
        if (marks[j].steps <= k.at_step)
          continue;
        if (k.next_commit_ms < 0)
          k.next_commit_ms = ms_between(marks[i].at, marks[j].at);
        if (marks[j].workers >= workers &&
            (short_handed || k.what != job_event::kind::kill_trainer)) {
          k.full_strength_ms = ms_between(marks[i].at, marks[j].at);
          break;
        }
      }
      out.push_back(k);
      ++next_event;
    }
  }
  return out;
}

struct strategy_result {
  double step_ms = 0;
  std::vector<kill_result> kills;
  uint64_t trainer_kills = 0;
  double steps_redone = 0;
  double seconds_baseline = 0;
  double seconds_faulted = 0;
  uint64_t restarts = 0;
};

caf::expected<strategy_result> measure(strategy kind, uint64_t samples) {
  strategy_result r;
  auto baseline = run_recorded(job_for(kind, samples));
  if (!baseline)
    return baseline.error();
  r.step_ms = median_step_ms(baseline->marks, kind == strategy::ps ? workers : 1);
  r.seconds_baseline = baseline->report.seconds;
  // Kills spread over the run, far enough apart that each recovers before the next.
  auto steps = baseline->report.steps;
  auto middle_kill =
      kind == strategy::allreduce ? job_event::kind::kill_coordinator : job_event::kind::kill_shard;
  std::vector<job_event> events{{job_event::kind::kill_trainer, steps * 2 / 10, 0},
                                {middle_kill, steps * 45 / 100, 0},
                                {job_event::kind::kill_trainer, steps * 7 / 10, 1}};
  auto o = job_for(kind, samples);
  o.events = events;
  auto faulted = run_recorded(o);
  if (!faulted)
    return faulted.error();
  r.kills = measure_kills(faulted->marks, events);
  r.trainer_kills = std::count_if(events.begin(), events.end(), [](const job_event& e) {
    return e.what == job_event::kind::kill_trainer;
  });
  r.seconds_faulted = faulted->report.seconds;
  r.restarts = faulted->report.restarts;
  auto& rep = faulted->report;
  if (kind == strategy::allreduce)
    r.steps_redone = static_cast<double>(rep.aborted_steps);
  else if (rep.samples_committed > rep.samples_trained)
    r.steps_redone = static_cast<double>(rep.samples_committed - rep.samples_trained) / batch;
  return r;
}

std::string format_ms(double ms, double step_ms) {
  if (ms < 0)
    return "not seen";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f ms = %.1f steps", ms, step_ms > 0 ? ms / step_ms : 0.0);
  return buf;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t samples = 6400;
  bool json = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--quick") {
      samples = 2560;
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::cerr << "usage: bench_recovery [--quick] [--samples N] [--only allreduce|ps] [--json]\n";
      return 2;
    }
  }
  if (samples < 20 * batch) {
    std::cerr << "bench_recovery: --samples must be at least " << 20 * batch
              << " (room for three kills)\n";
    return 2;
  }
  register_training_error_names();
  nlohmann::json out;
  out["samples"] = samples;
  out["workers"] = workers;
  std::printf("%-10s %-12s %8s  %-24s %-24s\n", "strategy", "kill", "at step", "next commit",
              "full strength");
  for (auto [name, kind] :
       {std::pair{"allreduce", strategy::allreduce}, std::pair{"ps", strategy::ps}}) {
    if (!only.empty() && only != name)
      continue;
    auto r = measure(kind, samples);
    if (!r) {
      std::cerr << "bench_recovery: " << name << " job failed: " << describe(r.error()) << "\n";
      return 1;
    }
    nlohmann::json j;
    j["step_ms_median"] = r->step_ms;
    j["baseline_seconds"] = r->seconds_baseline;
    j["faulted_seconds"] = r->seconds_faulted;
    j["restarts"] = r->restarts;
    j["trainer_kills"] = r->trainer_kills;
    j["steps_redone"] = r->steps_redone;
    std::vector<double> trainer_ms;
    for (auto& k : r->kills) {
      std::printf("%-10s %-12s %8llu  %-24s %-24s\n", name, name_of(k.what),
                  static_cast<unsigned long long>(k.at_step),
                  format_ms(k.next_commit_ms, r->step_ms).c_str(),
                  format_ms(k.full_strength_ms, r->step_ms).c_str());
      j["kills"].push_back({{"kill", name_of(k.what)},
                            {"at_step", k.at_step},
                            {"next_commit_ms", k.next_commit_ms},
                            {"full_strength_ms", k.full_strength_ms}});
      if (k.what == job_event::kind::kill_trainer && k.next_commit_ms >= 0)
        trainer_ms.push_back(k.next_commit_ms);
    }
    auto recovery = median(trainer_ms);
    j["recovery_ms_median"] = recovery;
    j["recovery_steps_median"] = r->step_ms > 0 ? recovery / r->step_ms : 0.0;
    std::printf("%s: recovery %s after a trainer kill (fault-free step %.1f ms); steps redone %.1f "
                "over %llu trainer kills\n",
                name, format_ms(recovery, r->step_ms).c_str(), r->step_ms, r->steps_redone,
                static_cast<unsigned long long>(r->trainer_kills));
    out[name] = j;
  }
  std::fflush(stdout);
  if (json)
    std::cout << out.dump() << "\n";
  return 0;
}
