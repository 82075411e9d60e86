#include "apps/pipeline/pipeline_steps.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <caf/atom.hpp>
#include <nlohmann/json.hpp>

#include "actors/ingest/dataset.hpp"
#include "actors/ingest/disk_cache.hpp"
#include "actors/models/model_artifact.hpp"
#include "actors/models/model_runner.hpp"
#include "actors/training/errors.hpp"
#include "actors/workflow/content_digest.hpp"
#include "apps/jobs/training_job.hpp"
#include "apps/pipeline/smoke_load.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/workflow.hpp"

namespace dmlp::pipeline {

namespace {

using json = nlohmann::json;

caf::error invalid(const step_request& req, const std::string& what) {
  return caf::make_error(step_errc::invalid_parameters, req.instance + ": " + what);
}

caf::error missing(const step_request& req, const std::string& what) {
  return caf::make_error(step_errc::data_missing, req.instance + ": " + what);
}

caf::expected<json> parameters_of(const step_request& req) {
  auto p = json::parse(req.parameters, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    return invalid(req, "parameters are not a JSON object");
  return p;
}

/// Reads an optional parameter of type T; a present value of the wrong type is an error.
template <class T>
caf::error read(const step_request& req, const json& p, const std::string& key, T& out) {
  auto i = p.find(key);
  if (i == p.end() || i->is_null())
    return caf::none;
  try {
    if constexpr (std::is_arithmetic_v<T>) {
      if (i->is_string()) {
        // Templates splice workflow parameters in as text.
        size_t used = 0;
        auto text = i->get<std::string>();
        auto value = std::stod(text, &used);
        if (used != text.size())
          return invalid(req, "parameter '" + key + "' is not a number: " + text);
        if (std::is_unsigned_v<T> && value < 0)
          return invalid(req, "parameter '" + key + "' must not be negative");
        out = static_cast<T>(value);
        return caf::none;
      }
      if (std::is_unsigned_v<T> && i->is_number() && i->get<double>() < 0)
        return invalid(req, "parameter '" + key + "' must not be negative");
    }
    out = i->get<T>();
  } catch (const std::exception&) {
    return invalid(req, "parameter '" + key + "' has the wrong type: " + i->dump());
  }
  return caf::none;
}

/// The first input artifact of `type`.
const md_output* input_of_type(const step_request& req, const std::string& type) {
  for (const auto& in : req.inputs)
    if (in.artifact.type == type)
      return &in;
  return nullptr;
}

/// Turns a role's error into a step error the engine classifies correctly.
caf::error as_step_error(const step_request& req, const caf::error& err) {
  if (err.category() == caf::atom("ingest"))
    return missing(req, describe(err));
  if (err.category() == caf::atom("training") &&
      err.code() == static_cast<uint8_t>(training::training_errc::invalid_option))
    return invalid(req, describe(err));
  return err;
}

caf::expected<std::shared_ptr<const ingest::dataset_content>>
load_dataset_input(const step_request& req) {
  auto input = input_of_type(req, "dataset");
  if (!input)
    return missing(req, "needs a dataset artifact from an ingest_dataset step");
  ingest::dataset_options d;
  d.name = "shards";
  d.data_dir = path_of_uri(input->artifact.uri);
  auto source = ingest::make_dataset(d);
  if (!source)
    return missing(req, describe(source.error()));
  auto loaded = (*source)->load(preprocessing{});
  if (!loaded)
    return missing(req, describe(loaded.error()));
  return std::make_shared<const ingest::dataset_content>(std::move(*loaded));
}

// -- ingest_dataset ---------------------------------------------------------------------------

struct ingest_parameters {
  ingest::dataset_options dataset;
  uint32_t shards = 4;
};

caf::expected<ingest_parameters> ingest_parameters_of(const step_request& req) {
  auto p = parameters_of(req);
  if (!p)
    return p.error();
  ingest_parameters out;
  for (auto err :
       {read(req, *p, "dataset", out.dataset.name), read(req, *p, "data_dir", out.dataset.data_dir),
        read(req, *p, "shards", out.shards)})
    if (err)
      return err;
  if (out.shards == 0)
    return invalid(req, "shards must be at least 1");
  return out;
}

caf::expected<step_reply> ingest_dataset(const pipeline_context& ctx, const step_request& req) {
  auto params = ingest_parameters_of(req);
  if (!params)
    return params.error();
  auto source = ingest::make_dataset(params->dataset);
  if (!source)
    return missing(req, describe(source.error()));
  ingest::disk_cache cache{ingest::cache_options{ctx.cache_dir, params->shards}};
  auto loaded = cache.load(**source, preprocessing{});
  if (!loaded)
    return missing(req, describe(loaded.error()));
  if (!loaded->note.empty())
    ctx.progress->line("  ingest: the cache entry was corrupt and has been rebuilt: " +
                       loaded->note);
  auto& content = *loaded->content;
  md_output out;
  out.name = "dataset";
  out.artifact.type = "dataset";
  out.artifact.uri = "file://" + loaded->entry_dir;
  out.artifact.digest = "sha256:" + loaded->key;
  out.artifact.properties = json{
      {"dataset", params->dataset.name},
      {"train_samples", content.train.count},
      {"test_samples",
       content.test.count}}.dump();
  step_reply reply;
  reply.outputs = json{{"dataset", params->dataset.name},    {"train_samples", content.train.count},
                       {"test_samples", content.test.count}, {"cache", to_string(loaded->outcome)},
                       {"cache_key", loaded->key},           {"shards_dir", loaded->entry_dir}}
                      .dump();
  reply.artifacts.push_back(std::move(out));
  return reply;
}

caf::expected<std::string> ingest_probe(const step_request& req) {
  auto params = ingest_parameters_of(req);
  if (!params)
    return params.error();
  auto source = ingest::make_dataset(params->dataset);
  if (!source)
    return missing(req, describe(source.error()));
  auto digest = (*source)->content_digest();
  if (!digest)
    return missing(req, describe(digest.error()));
  return *digest + "/" + std::to_string(params->shards);
}

// -- train_model ------------------------------------------------------------------------------

struct train_parameters {
  std::string name;
  training::job_options job;
  std::string strategy = "allreduce";
  std::string consistency = "sync";
  double cpus_per_trainer = 0.5;
  double memory_mb_per_trainer = 256;
  int priority = 0;
  // "key=value": only nodes with this label may host the trainers; empty = any node.
  std::string trainer_selector;
};

caf::expected<train_parameters> train_parameters_of(const step_request& req) {
  auto p = parameters_of(req);
  if (!p)
    return p.error();
  train_parameters t;
  auto& j = t.job;
  auto& o = j.optimizer;
  for (auto err : {read(req, *p, "name", t.name),
                   read(req, *p, "model", j.model),
                   read(req, *p, "strategy", t.strategy),
                   read(req, *p, "workers", j.workers),
                   read(req, *p, "min_workers", j.min_workers),
                   read(req, *p, "max_workers", j.max_workers),
                   read(req, *p, "ps_shards", j.ps_shards),
                   read(req, *p, "consistency", t.consistency),
                   read(req, *p, "staleness", j.staleness),
                   read(req, *p, "epochs", j.epochs),
                   read(req, *p, "batch_size", j.batch_size),
                   read(req, *p, "threads", j.threads),
                   read(req, *p, "train_samples", j.train_samples),
                   read(req, *p, "test_samples", j.test_samples),
                   read(req, *p, "eval_samples", j.epoch_eval_samples),
                   read(req, *p, "seed", j.seed),
                   read(req, *p, "optimizer", o.kind),
                   read(req, *p, "lr", o.lr),
                   read(req, *p, "decay_epochs", o.decay_epochs),
                   read(req, *p, "decay_rate", o.decay_rate),
                   read(req, *p, "linear_scaling", o.linear_scaling),
                   read(req, *p, "cpus_per_trainer", t.cpus_per_trainer),
                   read(req, *p, "memory_mb_per_trainer", t.memory_mb_per_trainer),
                   read(req, *p, "priority", t.priority),
                   read(req, *p, "trainer_selector", t.trainer_selector)})
    if (err)
      return err;
  if (auto faults = p->find("faults"); faults != p->end()) {
    // Chaos: kill a trainer, a PS shard or the coordinator once the job committed at_step.
    static const std::map<std::string, training::job_event::kind> kinds{
        {"kill_trainer", training::job_event::kind::kill_trainer},
        {"kill_shard", training::job_event::kind::kill_shard},
        {"kill_coordinator", training::job_event::kind::kill_coordinator}};
    if (!faults->is_array())
      return invalid(req, "faults must be a list of {kind, at_step, target}");
    for (const auto& f : *faults) {
      auto kind = f.is_object() ? kinds.find(f.value("kind", "")) : kinds.end();
      if (kind == kinds.end() || !f.contains("at_step") || !f["at_step"].is_number_unsigned())
        return invalid(req, "fault " + f.dump() +
                                " needs kind kill_trainer|kill_shard|kill_coordinator and at_step");
      j.events.push_back({kind->second, f["at_step"].get<uint64_t>(), f.value("target", 0u)});
    }
  }
  if (t.name.empty())
    t.name = j.model;
  if (t.strategy == "allreduce")
    j.kind = training::strategy::allreduce;
  else if (t.strategy == "ps")
    j.kind = training::strategy::ps;
  else
    return invalid(req, "strategy must be allreduce or ps, not '" + t.strategy + "'");
  if (!t.trainer_selector.empty()) {
    if (t.trainer_selector.find('=') == std::string::npos)
      return invalid(req, "trainer_selector must be key=value, not '" + t.trainer_selector + "'");
    j.placement = "label:" + t.trainer_selector;
  }
  if (!training::parse_consistency(t.consistency, j.mode))
    return invalid(req, "consistency must be sync, async or ssp, not '" + t.consistency + "'");
  if (auto err = training::validate(j))
    return invalid(req, describe(err));
  return t;
}

/// The scheduler's view of a training job: its trainers (and PS shards) as one gang.
scheduler::job_spec gang_of(const pipeline_context& ctx, const step_request& req,
                            const train_parameters& t) {
  scheduler::job_spec spec;
  spec.id = req.run + "/" + req.instance;
  spec.user = ctx.user;
  spec.group = ctx.group;
  spec.priority = t.priority;
  scheduler::role_request trainers;
  trainers.role = "trainer";
  trainers.per_instance.cpus = t.cpus_per_trainer;
  trainers.per_instance.memory_mb = t.memory_mb_per_trainer;
  trainers.min = t.job.min_workers > 0 ? t.job.min_workers : t.job.workers;
  trainers.max = std::max(trainers.min, t.job.workers);
  if (auto eq = t.trainer_selector.find('='); eq != std::string::npos)
    trainers.selector[t.trainer_selector.substr(0, eq)] = t.trainer_selector.substr(eq + 1);
  spec.roles.push_back(trainers);
  if (t.job.kind == training::strategy::ps) {
    scheduler::role_request shards;
    shards.role = "ps";
    shards.per_instance.cpus = t.cpus_per_trainer / 2;
    shards.per_instance.memory_mb = t.memory_mb_per_trainer / 2;
    shards.min = shards.max = t.job.ps_shards;
    spec.roles.push_back(shards);
  }
  return spec;
}

/// Collects a job's metrics over time (CSV) and feeds its progress bar. Called from the job's
/// listener thread.
class training_monitor {
public:
  training_monitor(const pipeline_context& ctx, std::string name, const training::job_options& j,
                   uint64_t epoch_samples)
      : ctx_(ctx), name_(std::move(name)), epochs_(j.epochs),
        total_(static_cast<double>(epoch_samples) * j.epochs),
        start_(std::chrono::steady_clock::now()) {
    csv_ << "seconds,epoch,step,loss,samples,images_per_s,test_accuracy\n";
  }

  void step(uint64_t steps, uint64_t epoch, double loss, uint64_t samples) {
    std::lock_guard<std::mutex> guard{mtx_};
    p_.steps = steps;
    p_.epoch = std::min<uint64_t>(epoch + 1, epochs_);
    p_.epochs = epochs_;
    p_.loss = loss;
    auto secs = seconds();
    p_.images_per_s = secs > 0 ? samples / secs : 0;
    p_.fraction = total_ > 0 ? std::min(1.0, samples / total_) : 0;
    p_.eta_s = p_.images_per_s > 0 ? (total_ - samples) / p_.images_per_s : 0;
    samples_ = samples;
    if (steps >= last_row_ + 20) {
      last_row_ = steps;
      row_locked(std::nan(""));
    }
    ctx_.progress->training(name_, p_, false);
  }

  void epoch_done(uint64_t epochs_done, double accuracy) {
    std::lock_guard<std::mutex> guard{mtx_};
    p_.accuracy = accuracy;
    p_.epoch = std::min<uint64_t>(epochs_done + 1, epochs_);
    row_locked(accuracy);
    ctx_.progress->training(name_, p_, true);
  }

  void finished(const training::job_report& r) {
    std::lock_guard<std::mutex> guard{mtx_};
    p_.accuracy = r.test_accuracy;
    p_.fraction = 1;
    samples_ = r.samples_committed;
    row_locked(r.test_accuracy);
  }

  std::string csv() {
    std::lock_guard<std::mutex> guard{mtx_};
    return csv_.str();
  }

private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  void row_locked(double accuracy) {
    char row[200];
    std::snprintf(row, sizeof row, "%.3f,%llu,%llu,%.6f,%llu,%.1f,", seconds(),
                  static_cast<unsigned long long>(p_.epoch),
                  static_cast<unsigned long long>(p_.steps), p_.loss,
                  static_cast<unsigned long long>(samples_), p_.images_per_s);
    csv_ << row;
    if (!std::isnan(accuracy))
      csv_ << accuracy;
    csv_ << "\n";
  }

  const pipeline_context& ctx_;
  std::string name_;
  uint64_t epochs_;
  double total_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mtx_;
  training_progress p_;
  uint64_t samples_ = 0;
  uint64_t last_row_ = 0;
  std::ostringstream csv_;
};

caf::expected<md_output> write_file_artifact(const step_request& req, const std::string& name,
                                             const std::string& type, const std::string& content) {
  auto path = req.work_dir + "/" + name;
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << content;
  out.close();
  if (!out)
    return caf::make_error(step_errc::internal, req.instance + ": cannot write " + path);
  md_output o;
  o.name = name.substr(0, name.find('.'));
  o.artifact.type = type;
  o.artifact.uri = "file://" + path;
  o.artifact.digest = workflow::digest_of(content);
  return o;
}

caf::expected<step_reply> train_model(const pipeline_context& ctx, const step_request& req) {
  auto params = train_parameters_of(req);
  if (!params)
    return params.error();
  auto& t = *params;
  auto dataset = input_of_type(req, "dataset");
  if (!dataset)
    return missing(req, "needs a dataset artifact from an ingest_dataset step");
  auto properties = json::parse(dataset->artifact.properties, nullptr, false);
  uint64_t epoch_samples =
      properties.is_object() ? properties.value("train_samples", 60000) : 60000;
  if (t.job.train_samples > 0)
    epoch_samples = std::min(epoch_samples, t.job.train_samples);
  t.job.dataset = "shards";
  t.job.data_dir = path_of_uri(dataset->artifact.uri);
  t.job.out_dir = req.work_dir + "/model";
  t.job.checkpoint_dir = req.work_dir + "/checkpoints";
  auto monitor = std::make_shared<training_monitor>(ctx, t.name, t.job, epoch_samples);
  t.job.on_progress = [monitor](uint64_t steps, uint64_t epoch, double loss, uint64_t samples,
                                uint32_t) { monitor->step(steps, epoch, loss, samples); };
  t.job.on_epoch = [monitor](uint64_t epochs_done, double accuracy) {
    monitor->epoch_done(epochs_done, accuracy);
  };
  gang_lease lease;
  if (ctx.admit) {
    ctx.progress->line("  " + t.name + ": waiting for its gang of " +
                       std::to_string(t.job.workers) + " trainers");
    auto granted = ctx.admit(gang_of(ctx, req, t));
    if (!granted)
      return granted.error();
    lease = std::move(granted->lease);
    if (!ctx.seeds.empty()) {
      t.job.seeds = ctx.seeds;
      t.job.tls = ctx.tls;
      t.job.nodes = std::move(granted->trainer_nodes);
    }
  }
  auto report = training::run_training(t.job);
  lease.reset();
  ctx.progress->finish(t.name);
  if (!report)
    return as_step_error(req, report.error());
  monitor->finished(*report);
  auto weights =
      models::version_path(t.job.out_dir, report->version) + "/" + models::weights_file_name;
  auto weights_digest = workflow::digest_of_file(weights);
  if (!weights_digest)
    return weights_digest.error();
  md_output model;
  model.name = "model";
  model.artifact.type = "model";
  model.artifact.uri = "file://" + t.job.out_dir;
  model.artifact.digest = *weights_digest;
  model.artifact.properties = json{
      {"name", t.name},
      {"architecture", t.job.model},
      {"version", report->version},
      {"test_accuracy",
       report->test_accuracy}}.dump();
  auto metrics = write_file_artifact(req, "metrics.csv", "metrics", monitor->csv());
  if (!metrics)
    return metrics.error();
  step_reply reply;
  reply.outputs = json{{"name", t.name},
                       {"model", t.job.model},
                       {"strategy", t.strategy},
                       {"workers", t.job.workers},
                       {"epochs", t.job.epochs},
                       {"test_accuracy", report->test_accuracy},
                       {"train_seconds", report->seconds},
                       {"images_per_s", report->train_images_per_s},
                       {"steps", report->steps},
                       {"restarts", report->restarts},
                       {"samples_trained", report->samples_trained},
                       {"samples_committed", report->samples_committed},
                       {"samples_expected", report->epoch_samples * t.job.epochs},
                       {"model_dir", t.job.out_dir},
                       {"version", report->version},
                       {"metrics_csv", path_of_uri(metrics->artifact.uri)}}
                      .dump();
  reply.artifacts.push_back(std::move(model));
  reply.artifacts.push_back(std::move(*metrics));
  return reply;
}

// -- select_best ------------------------------------------------------------------------------

caf::expected<step_reply> select_best(const pipeline_context&, const step_request& req) {
  auto p = parameters_of(req);
  if (!p)
    return p.error();
  uint64_t eval_samples = 0;
  if (auto err = read(req, *p, "eval_samples", eval_samples))
    return err;
  // Candidates in item order, as the fan-in delivers them; ties keep the earlier one.
  const md_output* best = nullptr;
  double best_accuracy = -1;
  json candidates = json::array();
  for (const auto& in : req.inputs) {
    if (in.artifact.type != "model")
      continue;
    auto props = json::parse(in.artifact.properties, nullptr, false);
    if (!props.is_object() || !props.contains("test_accuracy"))
      return invalid(req, "model artifact " + in.name + " has no test_accuracy");
    auto acc = props["test_accuracy"].get<double>();
    candidates.push_back(
        {{"input", in.name}, {"name", props.value("name", in.name)}, {"test_accuracy", acc}});
    if (acc > best_accuracy) {
      best_accuracy = acc;
      best = &in;
    }
  }
  if (!best)
    return missing(req, "no model artifacts to choose from");
  auto props = json::parse(best->artifact.properties);
  auto dir = path_of_uri(best->artifact.uri);
  auto version = props.value("version", 0u);
  // Fan-in evaluation of the winner on the test split: its confusion matrix.
  auto data = load_dataset_input(req);
  if (!data)
    return data.error();
  auto& test = (*data)->test;
  auto n = eval_samples == 0 ? test.count : std::min<uint64_t>(eval_samples, test.count);
  auto runner = models::model_runner::load(dir, version);
  if (!runner)
    return missing(req, describe(runner.error()));
  auto probs = runner->predict(test.pixels.data(), n);
  if (!probs)
    return probs.error();
  auto classes = runner->classes();
  std::vector<std::vector<uint64_t>> confusion(classes, std::vector<uint64_t>(classes, 0));
  uint64_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    auto row = probs->begin() + static_cast<std::ptrdiff_t>(i * classes);
    auto predicted = static_cast<uint32_t>(std::max_element(row, row + classes) - row);
    auto label = test.labels[i];
    if (label < classes)
      ++confusion[label][predicted];
    if (predicted == label)
      ++correct;
  }
  std::ostringstream csv;
  csv << "label";
  for (uint32_t c = 0; c < classes; ++c)
    csv << ",predicted_" << c;
  csv << "\n";
  for (uint32_t r = 0; r < classes; ++r) {
    csv << r;
    for (auto v : confusion[r])
      csv << "," << v;
    csv << "\n";
  }
  auto matrix = write_file_artifact(req, "confusion.csv", "metrics", csv.str());
  if (!matrix)
    return matrix.error();
  double accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  step_reply reply;
  reply.outputs = json{{"selected", props.value("name", best->name)},
                       {"architecture", props.value("architecture", "")},
                       {"test_accuracy", best_accuracy},
                       {"evaluated_accuracy", accuracy},
                       {"evaluated_samples", n},
                       {"model_dir", dir},
                       {"version", version},
                       {"candidates", candidates},
                       {"confusion_csv", path_of_uri(matrix->artifact.uri)}}
                      .dump();
  md_output chosen = *best;
  chosen.name = "model";
  reply.artifacts.push_back(std::move(chosen));
  reply.artifacts.push_back(std::move(*matrix));
  return reply;
}

// -- serve_model ------------------------------------------------------------------------------

caf::expected<step_reply> serve_model(const pipeline_context& ctx, const step_request& req) {
  auto p = parameters_of(req);
  if (!p)
    return p.error();
  std::string dir;
  uint32_t version = 0;
  if (auto err = read(req, *p, "model_dir", dir))
    return err;
  if (auto err = read(req, *p, "version", version))
    return err;
  if (dir.empty() || version == 0)
    return invalid(req, "needs model_dir and version (e.g. from select_best's outputs)");
  if (!ctx.serving)
    return caf::make_error(step_errc::unavailable, req.instance + ": no model server");
  serving_settings settings;
  auto& svc = settings.service;
  svc.name = "fashion-mnist";
  svc.replicas = 2;
  uint32_t port = settings.http.port;
  uint32_t min_replicas = 1;
  uint32_t max_replicas = 3;
  for (auto err :
       {read(req, *p, "name", svc.name), read(req, *p, "replicas", svc.replicas),
        read(req, *p, "min_replicas", min_replicas), read(req, *p, "max_replicas", max_replicas),
        read(req, *p, "port", port), read(req, *p, "host", settings.http.host),
        read(req, *p, "max_batch", svc.replica.batching.max_batch)})
    if (err)
      return err;
  if (port > 65535)
    return invalid(req, "port must be at most 65535");
  if (min_replicas > max_replicas || svc.replicas > max_replicas)
    return invalid(req, "needs min_replicas <= replicas <= max_replicas");
  settings.http.port = static_cast<uint16_t>(port);
  svc.autoscale.min_replicas = min_replicas;
  svc.autoscale.max_replicas = max_replicas;
  auto published = ctx.serving->publish(dir, version, settings);
  if (!published)
    return published.error();
  ctx.progress->line(std::string{"  serving "} + dir + " version " + std::to_string(version) +
                     (published->started ? " at " : ", swapped in at ") + published->url +
                     "/v1/models/" + published->name + ":predict");
  step_reply reply;
  reply.outputs = json{{"url", published->url},
                       {"name", published->name},
                       {"served_version", published->version},
                       {"model_dir", dir},
                       {"version", version},
                       {"started", published->started}}
                      .dump();
  return reply;
}

// -- smoke_load -------------------------------------------------------------------------------

caf::expected<step_reply> smoke(const pipeline_context& ctx, const step_request& req) {
  auto p = parameters_of(req);
  if (!p)
    return p.error();
  smoke_options o;
  int64_t kill_replica_at = -1;
  for (auto err :
       {read(req, *p, "url", o.url), read(req, *p, "name", o.model),
        read(req, *p, "requests", o.requests), read(req, *p, "concurrency", o.concurrency),
        read(req, *p, "protocol", o.protocol), read(req, *p, "kill_replica_at", kill_replica_at)})
    if (err)
      return err;
  std::string killed;
  if (kill_replica_at >= 0 && ctx.serving) {
    // Chaos: a replica dies under load; the router retries on the others.
    o.hook_at = static_cast<uint32_t>(kill_replica_at);
    o.hook = [&ctx, &killed] {
      if (auto path = ctx.serving->kill_replica())
        killed = *path;
    };
  }
  if (o.url.empty() || o.model.empty())
    return invalid(req, "needs url and name (e.g. from serve_model's outputs)");
  auto data = load_dataset_input(req);
  if (!data)
    return data.error();
  // The server preprocesses; it gets raw pixels, recovered from the cached (scaled) values.
  auto& test = (*data)->test;
  preprocessing prep;
  smoke_images images;
  images.sample_size = test.sample_size();
  auto count = std::min<size_t>(test.count, 1000);
  images.pixels.resize(count * images.sample_size);
  for (size_t i = 0; i < images.pixels.size(); ++i)
    images.pixels[i] = static_cast<uint8_t>(
        std::clamp(std::lround(test.pixels[i] / prep.scale), long{0}, long{255}));
  images.labels.assign(test.labels.begin(), test.labels.begin() + static_cast<long>(count));
  auto result = run_smoke_load(o, images);
  if (!result)
    return result.error();
  if (result->errors == result->requests)
    return caf::make_error(step_errc::unavailable,
                           req.instance + ": every request failed: " + result->first_error);
  step_reply reply;
  reply.outputs = json{
      {"url", o.url},
      {"requests", result->requests},
      {"errors", result->errors},
      {"accuracy", result->accuracy},
      {"requests_per_s", result->requests_per_s},
      {"p50_ms", result->p50_ms},
      {"p99_ms", result->p99_ms},
      {"seconds", result->seconds},
      {"first_error", result->first_error},
      {"killed_replica",
       killed}}.dump();
  return reply;
}

} // namespace

std::string path_of_uri(const std::string& uri) {
  const std::string scheme = "file://";
  return uri.compare(0, scheme.size(), scheme) == 0 ? uri.substr(scheme.size()) : uri;
}

void register_pipeline_steps(workflow::step_registry& registry,
                             std::shared_ptr<pipeline_context> context) {
  auto bind = [context](auto fn) {
    return [context, fn](const step_request& req) { return fn(*context, req); };
  };
  registry.add_function("ingest_dataset", 1, bind(ingest_dataset), ingest_probe, true);
  registry.add_function("train_model", 1, bind(train_model), {}, true);
  registry.add_function("select_best", 1, bind(select_best), {}, true);
  registry.add_function("serve_model", 1, bind(serve_model), {}, true);
  registry.add_function("smoke_load", 1, bind(smoke), {}, true);
}

} // namespace dmlp::pipeline
