#include "actors/workflow/dag_scheduler.hpp"

#include <algorithm>
#include <sstream>

#include "actors/workflow/templates.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "messages/errors.hpp"

namespace dmlp::workflow {

namespace {

caf::error template_error(const std::string& what) {
  return caf::make_error(workflow_errc::template_error, what);
}

std::vector<std::string> split(const std::string& expr) {
  std::vector<std::string> parts;
  std::stringstream in{expr};
  std::string part;
  while (std::getline(in, part, '.'))
    parts.push_back(part);
  return parts;
}

/// Follows parts[from..] into `value`.
caf::expected<json> descend(const json& value, const std::vector<std::string>& parts, size_t from,
                            const std::string& expr) {
  const json* at = &value;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!at->is_object() || !at->contains(parts[i]))
      return template_error("{{" + expr + "}}: no '" + parts[i] + "'");
    at = &(*at)[parts[i]];
  }
  return *at;
}

bool busy(instance_state s) {
  return s == instance_state::pending || s == instance_state::running ||
         s == instance_state::retry_wait;
}

} // namespace

std::string to_string(instance_state state) {
  switch (state) {
    case instance_state::pending:
      return "pending";
    case instance_state::running:
      return "running";
    case instance_state::retry_wait:
      return "retry_wait";
    case instance_state::succeeded:
      return "succeeded";
    case instance_state::failed:
      return "failed";
    case instance_state::cancelled:
      return "cancelled";
  }
  return "unknown";
}

dag_scheduler::dag_scheduler(workflow_spec spec, std::string run_id)
    : spec_(std::move(spec)), run_id_(std::move(run_id)), steps_(spec_.steps.size()) {}

void dag_scheduler::restore(const std::string& instance, step_result result, bool memoized) {
  restored_[instance] = {std::move(result), memoized};
}

const step_spec& dag_scheduler::spec_of(const instance_rec& inst) const {
  return is_exit(inst) ? *spec_.exit_handler : spec_.steps[inst.step];
}

dag_scheduler::instance_rec* dag_scheduler::find(const std::string& name) {
  auto i = by_name_.find(name);
  return i == by_name_.end() ? nullptr : &instances_[i->second];
}

bool dag_scheduler::has_async(size_t step) const {
  const auto& deps = spec_.steps[step].depends;
  return std::any_of(deps.begin(), deps.end(), [](const dependency& d) { return d.async; });
}

bool dag_scheduler::deps_done(size_t step) const {
  for (const auto& d : spec_.steps[step].depends)
    if (steps_[spec_.index_of(d.step)].state != phase::done)
      return false;
  return true;
}

std::vector<const dag_scheduler::instance_rec*> dag_scheduler::results(size_t step) const {
  std::vector<const instance_rec*> out;
  for (auto i : steps_[step].instances)
    if (instances_[i].view.state == instance_state::succeeded)
      out.push_back(&instances_[i]);
  return out;
}

size_t dag_scheduler::async_result_count(size_t step) const {
  size_t total = 0;
  for (const auto& d : spec_.steps[step].depends)
    if (d.async)
      total += results(spec_.index_of(d.step)).size();
  return total;
}

std::optional<double> dag_scheduler::async_best(size_t step) const {
  std::optional<double> best;
  for (const auto& d : spec_.steps[step].depends) {
    if (!d.async || d.better_by.empty())
      continue;
    for (auto r : results(spec_.index_of(d.step))) {
      auto i = r->view.result.outputs.find(d.better_by);
      if (i == r->view.result.outputs.end() || !i->is_number())
        continue;
      double score = d.higher_is_better ? i->get<double>() : -i->get<double>();
      if (!best || score > *best)
        best = score;
    }
  }
  return best;
}

void dag_scheduler::create_instance(size_t step, int index, json item, uint32_t generation) {
  bool exit = step == spec_.steps.size();
  const auto& spec = exit ? *spec_.exit_handler : spec_.steps[step];
  instance_rec rec;
  rec.view.name = spec.name;
  if (index >= 0)
    rec.view.name += "[" + std::to_string(index) + "]";
  if (generation > 1)
    rec.view.name += "#" + std::to_string(generation);
  rec.view.step = spec.name;
  rec.step = step;
  rec.index = index;
  rec.generation = generation;
  rec.item = std::move(item);
  rec.memory_mb = spec.memory_mb;
  if (auto i = restored_.find(rec.view.name); i != restored_.end()) {
    rec.view.state = instance_state::succeeded;
    rec.view.result = i->second.first;
    rec.view.memoized = i->second.second;
    rec.view.restored = true;
  }
  by_name_[rec.view.name] = instances_.size();
  instances_.push_back(std::move(rec));
  if (exit) {
    exit_instance_ = instances_.size() - 1;
    return;
  }
  auto& st = steps_[step];
  st.instances.push_back(instances_.size() - 1);
  if (has_async(step)) {
    st.consumed = async_result_count(step);
    st.best_consumed = async_best(step);
  }
}

void dag_scheduler::settle(size_t step) {
  auto& st = steps_[step];
  for (auto i : st.instances) {
    auto state = instances_[i].view.state;
    if (state == instance_state::failed || state == instance_state::cancelled) {
      st.state = phase::failed;
      return;
    }
  }
  if (has_async(step)) {
    const auto& latest = instances_[st.instances.back()];
    if (latest.view.state != instance_state::succeeded)
      return;
    if (!failed_ && async_result_count(step) > st.consumed) {
      auto best = async_best(step);
      if (!best || !st.best_consumed || *best > *st.best_consumed) {
        create_instance(step, -1, nullptr, ++st.generations);
        return;
      }
    }
    if (deps_done(step))
      st.state = phase::done;
    return;
  }
  for (auto i : st.instances)
    if (instances_[i].view.state != instance_state::succeeded)
      return;
  st.state = phase::done;
}

bool dag_scheduler::progress() {
  bool changed = false;
  for (size_t s = 0; s < spec_.steps.size(); ++s) {
    auto& st = steps_[s];
    const auto& spec = spec_.steps[s];
    if (st.state == phase::waiting && !failed_) {
      bool ready = true;
      for (const auto& d : spec.depends) {
        auto dep = static_cast<size_t>(spec_.index_of(d.step));
        bool ok = steps_[dep].state == phase::done || (d.async && !results(dep).empty());
        ready = ready && ok;
      }
      if (!ready)
        continue;
      st.state = phase::active;
      changed = true;
      if (!spec.items) {
        st.generations = 1;
        create_instance(s, -1, nullptr, 1);
      } else {
        instance_rec probe;
        probe.step = s;
        auto items = resolve_templates(
            *spec.items, [&](const std::string& expr) { return lookup(probe, expr); });
        if (items && !items->is_array())
          items =
              template_error(spec.name + ": for_each must resolve to a list, got " + items->dump());
        if (!items) {
          st.state = phase::failed;
          failed_ = true;
          failure_ = spec.name + ": " + dmlp::describe(items.error());
          cancel_queued();
          continue;
        }
        for (size_t i = 0; i < items->size(); ++i)
          create_instance(s, static_cast<int>(i), (*items)[i], 1);
      }
    }
    if (st.state == phase::active) {
      auto before = instances_.size();
      settle(s);
      changed = changed || st.state != phase::active || instances_.size() != before;
    }
  }
  return changed;
}

std::vector<dispatch> dag_scheduler::take_ready() {
  std::vector<dispatch> out;
  for (;;) {
    while (progress()) {}
    bool main_busy = false;
    for (size_t i = 0; i < instances_.size(); ++i)
      if ((!exit_instance_ || i != *exit_instance_) && busy(instances_[i].view.state))
        main_busy = true;
    if (!main_busy && !finished_) {
      if (!spec_.exit_handler) {
        finished_ = true;
      } else if (!exit_instance_) {
        create_instance(spec_.steps.size(), -1, json(failed_ ? "failed" : "succeeded"), 1);
        if (instances_[*exit_instance_].view.state == instance_state::succeeded)
          finished_ = true;
      }
    }
    bool retry = false;
    for (auto& inst : instances_) {
      if (inst.view.state != instance_state::pending)
        continue;
      const auto& spec = spec_of(inst);
      auto params = resolve_templates(spec.parameters,
                                      [&](const std::string& expr) { return lookup(inst, expr); });
      if (!params) {
        failed(inst.view.name, dmlp::describe(params.error()));
        retry = true;
        break;
      }
      dispatch d;
      d.instance = inst.view.name;
      d.spec = &spec;
      d.attempt = inst.view.attempt;
      d.parameters = std::move(*params);
      d.memory_mb = inst.memory_mb;
      d.exit_handler = is_exit(inst);
      for (const auto& dep : spec.depends)
        for (auto r : results(spec_.index_of(dep.step)))
          for (const auto& a : r->view.result.artifacts)
            d.inputs.push_back(md_output{r->view.name + "." + a.name, a.artifact});
      inst.view.state = instance_state::running;
      out.push_back(std::move(d));
    }
    if (!retry)
      return out;
  }
}

void dag_scheduler::succeeded(const std::string& instance, step_result result, bool memoized) {
  auto inst = find(instance);
  if (inst == nullptr || inst->view.state != instance_state::running)
    return;
  inst->view.state = instance_state::succeeded;
  inst->view.result = std::move(result);
  inst->view.memoized = memoized;
  if (is_exit(*inst))
    finished_ = true;
}

void dag_scheduler::failed(const std::string& instance, const std::string& reason) {
  auto inst = find(instance);
  if (inst == nullptr)
    return;
  inst->view.state = instance_state::failed;
  inst->view.reason = reason;
  if (!failed_) {
    failed_ = true;
    failure_ = instance + ": " + reason;
  }
  cancel_queued();
  if (is_exit(*inst))
    finished_ = true;
}

void dag_scheduler::cancel_queued() {
  for (size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = instances_[i];
    if (exit_instance_ && i == *exit_instance_)
      continue;
    if (inst.view.state == instance_state::pending ||
        inst.view.state == instance_state::retry_wait) {
      inst.view.state = instance_state::cancelled;
      inst.view.reason = "cancelled: the run failed";
    }
  }
}

void dag_scheduler::retry_later(const std::string& instance, uint64_t memory_mb) {
  auto inst = find(instance);
  if (inst == nullptr || inst->view.state != instance_state::running)
    return;
  inst->view.state = instance_state::retry_wait;
  inst->view.attempt += 1;
  inst->memory_mb = memory_mb;
}

bool dag_scheduler::retry_due(const std::string& instance) {
  auto inst = find(instance);
  if (inst == nullptr || inst->view.state != instance_state::retry_wait)
    return false;
  inst->view.state = instance_state::pending;
  return true;
}

bool dag_scheduler::finished() const {
  return finished_;
}

std::string dag_scheduler::status() const {
  if (!finished_)
    return "running";
  return failed_ ? "failed" : "succeeded";
}

std::vector<instance_view> dag_scheduler::instances() const {
  std::vector<instance_view> out;
  for (const auto& inst : instances_)
    out.push_back(inst.view);
  return out;
}

std::vector<std::string> dag_scheduler::skipped() const {
  std::vector<std::string> out;
  for (size_t s = 0; s < steps_.size(); ++s)
    if (steps_[s].state == phase::waiting)
      out.push_back(spec_.steps[s].name);
  return out;
}

caf::expected<json> dag_scheduler::lookup(const instance_rec& inst, const std::string& expr) const {
  auto parts = split(expr);
  if (parts.empty())
    return template_error("empty template");
  if (parts[0] == "item") {
    if (inst.index < 0)
      return template_error("{{item}} used outside a for_each step");
    return descend(inst.item, parts, 1, expr);
  }
  if (parts[0] == "workflow" && parts.size() >= 2) {
    if (parts[1] == "name" && parts.size() == 2)
      return json(spec_.name);
    if (parts[1] == "run" && parts.size() == 2)
      return json(run_id_);
    if (parts[1] == "status" && parts.size() == 2)
      return is_exit(inst) ? inst.item : json("running");
    if (parts[1] == "failure" && parts.size() == 2)
      return json(failure_);
    if (parts[1] == "parameters")
      return descend(spec_.parameters, parts, 2, expr);
  }
  if (parts[0] == "steps" && parts.size() >= 3) {
    auto idx = spec_.index_of(parts[1]);
    if (idx < 0)
      return template_error("{{" + expr + "}}: no step '" + parts[1] + "'");
    auto res = results(static_cast<size_t>(idx));
    if (res.empty())
      return template_error("{{" + expr + "}}: step '" + parts[1] + "' has no result yet");
    bool fan_out = spec_.steps[idx].items.has_value();
    const auto& what = parts[2];
    if (what == "outputs") {
      if (!fan_out)
        return descend(res.back()->view.result.outputs, parts, 3, expr);
      json list = json::array();
      for (auto r : res) {
        auto v = descend(r->view.result.outputs, parts, 3, expr);
        if (!v)
          return v;
        list.push_back(std::move(*v));
      }
      return list;
    }
    if (what == "best") {
      const instance_rec* best = res.back();
      if (!is_exit(inst)) {
        for (const auto& d : spec_of(inst).depends) {
          if (d.step != parts[1] || d.better_by.empty())
            continue;
          std::optional<double> top;
          for (auto r : res) {
            auto i = r->view.result.outputs.find(d.better_by);
            if (i == r->view.result.outputs.end() || !i->is_number())
              continue;
            double score = d.higher_is_better ? i->get<double>() : -i->get<double>();
            if (!top || score > *top) {
              top = score;
              best = r;
            }
          }
        }
      }
      return descend(best->view.result.outputs, parts, 3, expr);
    }
    if (what == "artifacts" && parts.size() == 4) {
      json list = json::array();
      for (auto r : res) {
        auto& arts = r->view.result.artifacts;
        auto a = std::find_if(arts.begin(), arts.end(),
                              [&](const md_output& o) { return o.name == parts[3]; });
        if (a == arts.end())
          return template_error("{{" + expr + "}}: " + r->view.name + " has no artifact '" +
                                parts[3] + "'");
        list.push_back(a->artifact.uri);
      }
      return fan_out ? list : list.back();
    }
  }
  return template_error("{{" + expr + "}}: unknown name");
}

} // namespace dmlp::workflow
