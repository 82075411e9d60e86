#include "apps/jobs/training_job.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/ingest/coordinator.hpp"
#include "actors/ingest/dataset.hpp"
#include "actors/ingest/memory_cache.hpp"
#include "actors/models/errors.hpp"
#include "actors/training/errors.hpp"
#include "actors/training/flat_codec.hpp"
#include "actors/training/job_master.hpp"
#include "actors/training/ps_shard.hpp"
#include "actors/training/ps_update_log.hpp"
#include "actors/training/replica.hpp"
#include "actors/training/ring_schedule.hpp"
#include "apps/jobs/job_state_dir.hpp"
#include "apps/jobs/trainer_role.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/training.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_feed.hpp"
#include "runtime/cluster/node_system.hpp"
#include "runtime/cluster/placement.hpp"
#include "runtime/cluster/remote_child.hpp"
#include "runtime/services.hpp"
#include "runtime/snapshot_store.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/system_config.hpp"

namespace fs = std::filesystem;

namespace dmlp::training {

namespace {

constexpr const char* root_name = "train";
const std::string coordinator_path = "train/coordinator";
const std::string master_path = "train/master";
const std::string pool_path = "train/workers";

std::string trainer_id(uint32_t i) {
  return "trainer-" + std::to_string(i);
}

std::string shard_path(uint32_t i) {
  return "train/ps/shard-" + std::to_string(i);
}

/// What the listener shares with the calling thread.
struct listener_shared {
  std::mutex mtx;
  train_progress last;
  uint64_t restarts = 0;
  uint32_t peak_workers = 0;
  uint64_t replica_checks = 0;
  uint64_t replica_mismatches = 0;
  std::chrono::steady_clock::time_point first_step;
  bool stepped = false;
};

struct listener_state {
  static inline const char* name = "dmlp.train_listener";
  std::shared_ptr<listener_shared> shared;
  runtime::runtime_services svc;
  std::vector<job_event> events;
  uint32_t next_worker = 0;
  job_options opt;
  std::map<uint64_t, std::vector<uint8_t>> replica_bytes;
  // The samples the job trains and evaluates on.
  ingest::coordinator_data samples;
  std::unique_ptr<replica> evaluator;
  uint64_t epochs_evaluated = 0;
  // run_training's wait for the result, and the master instance asked for it.
  caf::response_promise result;
  caf::actor_addr asked_master;
  uint32_t master_lookups = 0;
  bool looking_up = false;
  bool stopping = false;
};

using listener_actor = caf::stateful_actor<listener_state>;

void apply_event(listener_actor* self, const job_event& e) {
  auto& st = self->state;
  auto& names = *st.svc.names;
  switch (e.what) {
    case job_event::kind::kill_trainer: {
      auto members = names.list(pool_path + "/");
      if (!members.empty())
        self->send_exit(members[e.target % members.size()].second, caf::exit_reason::kill);
      break;
    }
    case job_event::kind::kill_shard:
      if (auto shard = names.get(shard_path(e.target % std::max(1u, st.opt.ps_shards))))
        self->send_exit(shard, caf::exit_reason::kill);
      break;
    case job_event::kind::kill_master:
      if (auto m = names.get(master_path))
        self->send_exit(m, caf::exit_reason::kill);
      break;
    case job_event::kind::kill_coordinator:
      if (auto c = names.get(coordinator_path))
        self->send_exit(c, caf::exit_reason::kill);
      break;
    // Requests, not sends: the pool answers both, and an answer the listener did not ask for
    // would come back to the pool as an unexpected_message error that ends it (and every
    // trainer with it).
    case job_event::kind::add_worker:
      self->request(names.get(pool_path), std::chrono::seconds(30), start_child_atom::value,
                    trainer_id(st.next_worker++), caf::message{})
          .then([](caf::actor&) {}, [](caf::error&) {});
      break;
    case job_event::kind::remove_worker: {
      auto members = names.list(pool_path + "/");
      if (!members.empty()) {
        auto path = members[e.target % members.size()].first;
        self->request(names.get(pool_path), std::chrono::seconds(30), terminate_child_atom::value,
                      path.substr(pool_path.size() + 1))
            .then([] {}, [](caf::error&) {});
      }
      break;
    }
  }
}

// Asks every trainer for its state; states of the same committed step must be equal bytes.
void verify_replicas(listener_actor* self) {
  for (auto& [path, handle] : self->state.svc.names->list(pool_path + "/")) {
    self->request(handle, std::chrono::seconds(10), train_get_state_atom::value)
        .then(
            [self](train_state& s) {
              auto& st = self->state;
              auto values = decode_state(s.data);
              if (!values)
                return;
              std::vector<uint8_t> bytes(values->values.size() * sizeof(float));
              std::memcpy(bytes.data(), values->values.data(), bytes.size());
              auto key = static_cast<uint64_t>(values->t);
              std::lock_guard<std::mutex> guard{st.shared->mtx};
              auto [it, fresh] = st.replica_bytes.emplace(key, bytes);
              if (!fresh) {
                ++st.shared->replica_checks;
                if (it->second != bytes)
                  ++st.shared->replica_mismatches;
              }
            },
            [](caf::error&) {});
  }
}

// Measures a live replica's test accuracy after a completed epoch (on_epoch). Trainers of a
// committed step hold the same values, so any member will do.
void evaluate_epoch(listener_actor* self, uint64_t epoch) {
  auto members = self->state.svc.names->list(pool_path + "/");
  if (members.empty())
    return;
  self->request(members.front().second, std::chrono::seconds(30), train_get_state_atom::value)
      .then(
          [self, epoch](train_state& s) {
            auto& st = self->state;
            auto values = decode_state(s.data);
            if (!values)
              return;
            if (!st.evaluator) {
              auto created = replica::create(st.opt.model, st.opt.seed, st.opt.threads);
              if (!created)
                return;
              st.evaluator = std::move(*created);
            }
            if (values->values.size() != st.evaluator->param_count() + st.evaluator->buffer_count())
              return;
            st.evaluator->write_values(values->values.data());
            auto& test = st.samples.content->test;
            auto n = ingest::first_samples(st.samples.test_count(), st.opt.epoch_eval_samples);
            auto acc = st.evaluator->evaluate(test.pixels.data(), test.labels.data(), n,
                                              test.channels, test.height, test.width);
            if (acc)
              st.opt.on_epoch(epoch, *acc);
          },
          [](caf::error&) {});
}

// Asks the current master for the job's result on run_training's behalf; a master restarted
// by its supervisor is asked again (a killed master's pending answers are lost), and told to
// stop when a stop was requested.
void master_lost(listener_actor* self);

void ask_master(listener_actor* self) {
  auto& st = self->state;
  auto master = st.svc.names->get(master_path);
  if (!master || master.address() == st.asked_master) {
    // With the supervisor's backoff a restart takes milliseconds; 30 s means it is gone.
    if (++st.master_lookups > 1500) {
      st.result.deliver(caf::make_error(training_errc::job_failed, "the job master is gone"));
      return;
    }
    self->delayed_send(self, std::chrono::milliseconds(20), train_retry_atom::value);
    return;
  }
  st.master_lookups = 0;
  st.looking_up = false;
  st.asked_master = master.address();
  self->monitor(master);
  if (st.stopping)
    self->send(master, train_stop_atom::value);
  self->request(master, caf::infinite, train_result_atom::value)
      .then([self](train_state& s) { self->state.result.deliver(std::move(s)); },
            [self](caf::error& err) {
              if (err == caf::sec::request_receiver_down)
                master_lost(self);
              else
                self->state.result.deliver(std::move(err));
            });
}

// The asked master died (its down message, or the request bounced): look for the instance its
// supervisor starts, once.
void master_lost(listener_actor* self) {
  auto& st = self->state;
  if (st.looking_up || !st.result.pending())
    return;
  st.looking_up = true;
  ask_master(self);
}

caf::behavior listener_fun(listener_actor* self, std::shared_ptr<listener_shared> shared,
                           runtime::runtime_services svc, job_options opt,
                           ingest::coordinator_data samples) {
  auto& st = self->state;
  st.shared = std::move(shared);
  st.svc = svc;
  st.events = opt.events;
  std::stable_sort(st.events.begin(), st.events.end(),
                   [](const job_event& a, const job_event& b) { return a.at_step < b.at_step; });
  st.next_worker = opt.workers;
  st.opt = std::move(opt);
  st.samples = std::move(samples);
  self->join(svc.events);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source == self->state.asked_master)
      master_lost(self);
  });
  return {
      [self](train_result_atom) -> caf::result<train_state> {
        self->state.result = self->make_response_promise();
        ask_master(self);
        return self->state.result;
      },
      [self](train_retry_atom) { ask_master(self); },
      [self](train_stop_atom) {
        auto& st = self->state;
        st.stopping = true;
        if (auto master = st.svc.names->get(master_path))
          self->send(master, train_stop_atom::value);
      },
      [self](train_progress& p) {
        auto& st = self->state;
        {
          std::lock_guard<std::mutex> guard{st.shared->mtx};
          if (!st.shared->stepped && p.steps > 0) {
            st.shared->stepped = true;
            st.shared->first_step = std::chrono::steady_clock::now();
          }
          // What the master publishes while the tree stops (members leaving) is no result.
          if (!st.shared->last.finished)
            st.shared->last = p;
          st.shared->peak_workers = std::max(st.shared->peak_workers, p.workers);
        }
        if (st.opt.on_progress)
          st.opt.on_progress(p.steps, p.epoch, p.loss, p.samples, p.workers);
        while (!st.events.empty() && st.events.front().at_step <= p.steps && !p.finished) {
          apply_event(self, st.events.front());
          st.events.erase(st.events.begin());
        }
        if (st.opt.verify_replicas && st.opt.kind == strategy::allreduce && !p.finished)
          verify_replicas(self);
        if (st.opt.on_epoch && !p.finished && p.epochs_done > st.epochs_evaluated &&
            p.epochs_done < st.opt.epochs) {
          st.epochs_evaluated = p.epochs_done;
          evaluate_epoch(self, p.epochs_done);
        }
      },
      [self](supervision_event& e) {
        if (e.kind == supervision_event_kind::restarted) {
          std::lock_guard<std::mutex> guard{self->state.shared->mtx};
          ++self->state.shared->restarts;
        }
      },
  };
}

// Where a remote trainer starts: on the least loaded live node of the grant; when every
// granted node is lost, wherever the placement rule allows, so that the job goes on with the
// capacity that is left.
runtime::placement trainer_placement(const job_options& opt) {
  auto rule = *runtime::parse_placement(opt.placement);
  if (opt.nodes.empty())
    return rule;
  return runtime::placement::by(
      [nodes = opt.nodes,
       rule](const std::vector<member_info>& live) -> std::optional<std::string> {
        const member_info* best = nullptr;
        for (const auto& m : live)
          if (std::find(nodes.begin(), nodes.end(), m.name) != nodes.end() &&
              (!best || m.hosted < best->hosted))
            best = &m;
        if (best)
          return best->name;
        if (auto fallback = runtime::choose_node(live, rule))
          return fallback->name;
        return std::nullopt;
      });
}

// What a job's saved state must match to be resumed: everything that shapes the parameters,
// the ledger or the shards.
std::string fingerprint_of(const job_options& o, size_t values, uint64_t samples) {
  auto text = "model=" + o.model + " strategy=" + (o.kind == strategy::ps ? "ps" : "allreduce") +
              " values=" + std::to_string(values) + " samples=" + std::to_string(samples) +
              " batch_size=" + std::to_string(o.batch_size) +
              " epochs=" + std::to_string(o.epochs) + " seed=" + std::to_string(o.seed) +
              " optimizer=" + o.optimizer.kind;
  if (o.kind == strategy::ps)
    text += " ps_shards=" + std::to_string(o.ps_shards);
  return text;
}

// Moves what the stopped job's children saved in memory to its state directory.
caf::error save_stopped(job_state_dir& dir, runtime::snapshot_store& ledger_store,
                        runtime::snapshot_store& master_store) {
  auto ledger = ledger_store.load(coordinator_path);
  if (!ledger)
    return ledger.error();
  auto master = master_store.load(master_path);
  if (!master)
    return master.error();
  if (!*ledger || !*master)
    return caf::make_error(training_errc::job_failed, "the stopped job saved no state");
  auto replica = master_store.load(replica_key(master_path));
  if (!replica)
    return replica.error();
  std::optional<std::vector<uint8_t>> replica_payload;
  if (*replica)
    replica_payload = std::move((*replica)->payload);
  return dir.save((*ledger)->payload, replica_payload, (*master)->payload);
}

} // namespace

caf::error validate(const job_options& o) {
  auto bad = [](const std::string& what) {
    return caf::make_error(training_errc::invalid_option, what);
  };
  if (o.workers == 0)
    return bad("--workers must be at least 1");
  if (o.min_workers > 0 && o.max_workers > 0 && o.min_workers > o.max_workers)
    return bad("--min-workers must not exceed --max-workers");
  if (o.kind == strategy::ps && o.ps_shards == 0)
    return bad("--ps-shards must be at least 1");
  if (o.epochs == 0)
    return bad("--epochs must be at least 1");
  if (o.batch_size == 0)
    return bad("--batch-size must be at least 1");
  if (o.optimizer.kind != "adam" && o.optimizer.kind != "sgd")
    return bad("optimizer must be adam or sgd");
  if (o.stop && o.state_dir.empty())
    return bad("a stoppable job needs a state directory");
  for (const auto& seed : o.seeds)
    if (auto address = runtime::parse_address(seed); !address)
      return bad("--seeds: " + describe(address.error()));
  if (auto where = runtime::parse_placement(o.placement); !where)
    return bad("--placement: " + describe(where.error()));
  if (o.tls.enabled && o.seeds.empty())
    return bad("TLS settings apply to the nodes of --seeds; there are none");
  if (auto err = runtime::validate_tls_files(o.tls))
    return err;
  return {};
}

caf::expected<job_report> run_training(const job_options& options) {
  if (auto err = validate(options))
    return err;
  auto opt = options;
  if (opt.min_workers == 0)
    opt.min_workers = opt.workers;
  if (opt.max_workers == 0)
    opt.max_workers = std::max(opt.workers, opt.min_workers);
  ingest::register_ingest_error_names();
  register_training_error_names();

  // Data: read and preprocessed by the ingest dataset, kept in a process-wide memory cache so
  // jobs run one after another in one process (tests, benchmarks) read it once.
  ingest::dataset_options dopt;
  dopt.name = opt.dataset;
  dopt.data_dir = opt.data_dir;
  auto source = ingest::make_dataset(dopt);
  if (!source)
    return source.error();
  auto digest = (*source)->content_digest();
  if (!digest)
    return digest.error();
  static ingest::memory_cache samples_cache;
  auto full = samples_cache.get_or_load(
      opt.dataset + "/" + *digest,
      [&]() -> caf::expected<std::shared_ptr<const ingest::dataset_content>> {
        auto loaded = (*source)->load(preprocessing{});
        if (!loaded)
          return loaded.error();
        return std::make_shared<const ingest::dataset_content>(std::move(*loaded));
      });
  if (!full)
    return full.error();
  // Concurrent jobs (the pipeline trains three) share the cached split; a job on the first N
  // samples limits what its coordinator serves instead of copying them.
  preprocessing prep;
  ingest::coordinator_data data{*full, opt.dataset,       *digest,
                                prep,  opt.train_samples, opt.test_samples};

  // Initial values (also the PS shards' starting point).
  auto init = replica::create(opt.model, opt.seed, opt.threads);
  if (!init)
    return init.error();
  auto& probe = **init;
  std::vector<float> initial(probe.param_count() + probe.buffer_count());
  probe.read_values(initial.data());
  auto params = probe.param_count();

  // A stopped job's state comes back through the stores its children restore from.
  auto ledger_store = std::make_shared<runtime::memory_snapshot_store>();
  auto master_store = std::make_shared<runtime::memory_snapshot_store>();
  auto fingerprint = fingerprint_of(opt, initial.size(), data.train_count());
  std::optional<job_state_dir> state_dir;
  bool resumed = false;
  if (!opt.state_dir.empty()) {
    std::vector<size_t> sizes;
    if (opt.kind == strategy::ps)
      for (uint32_t i = 0; i < opt.ps_shards; ++i)
        sizes.push_back(chunk_range(initial.size(), opt.ps_shards, i).size());
    state_dir.emplace(opt.state_dir, master_path, coordinator_path, sizes);
    auto stopped = state_dir->load(fingerprint);
    if (!stopped)
      return stopped.error();
    if (*stopped) {
      ledger_store->save(coordinator_path, std::move((*stopped)->ledger_payload));
      if ((*stopped)->replica_payload)
        master_store->save(replica_key(master_path), std::move(*(*stopped)->replica_payload));
      master_store->save(master_path, std::move((*stopped)->master_payload));
      resumed = true;
    } else {
      state_dir->clear();
    }
  }

  caf::actor_system_config cfg;
  if (opt.seeds.empty()) {
    runtime::configure_actor_system(cfg);
    // Ring links are brokers on the middleman.
    if (opt.direct_link)
      cfg.load<caf::io::middleman>();
  } else
    runtime::configure_client_system(cfg, opt.tls);
  register_training_errors(cfg);
  models::register_model_errors(cfg);
  ingest::register_ingest_errors(cfg);
  caf::actor_system sys{cfg};
  auto svc = runtime::make_services(sys, {}, opt.seed);
  // Trainers on cluster nodes: placed through the membership this process keeps up to date.
  std::shared_ptr<runtime::cluster_view> view;
  std::unique_ptr<runtime::cluster_feed> feed;
  if (!opt.seeds.empty()) {
    view = std::make_shared<runtime::cluster_view>("", std::make_shared<runtime::role_registry>());
    auto started = runtime::cluster_feed::start(sys, opt.seeds, opt.tls, view);
    if (!started)
      return started.error();
    feed = std::move(*started);
  }
  auto shared = std::make_shared<listener_shared>();
  auto listener = sys.spawn(listener_fun, shared, svc, opt, data);

  ingest::coordinator_options cdopt;
  cdopt.ledger.batch_size = opt.batch_size;
  cdopt.ledger.seed = opt.seed;
  cdopt.ledger.max_epochs = opt.epochs;
  cdopt.fence_path = master_path;

  runtime::supervisor_spec root{root_name, runtime::strategy::one_for_one};
  root.with_intensity(1000, std::chrono::seconds(10));
  root.add(runtime::worker("coordinator", ingest::coordinator_start(data, cdopt))
               .with_snapshots(ledger_store));

  std::vector<std::string> shard_paths;
  std::vector<size_t> shard_sizes;
  std::string ckpt_dir;
  std::string temporary_ckpt_dir;
  if (opt.kind == strategy::ps) {
    ckpt_dir = state_dir ? state_dir->directory() : opt.checkpoint_dir;
    if (ckpt_dir.empty() && opt.out_dir.empty()) {
      // One directory per job: jobs may run concurrently in one process.
      static std::atomic<uint64_t> jobs_started{0};
      ckpt_dir = (fs::temp_directory_path() /
                  ("dmlp-ps-" + std::to_string(::getpid()) + "-" + std::to_string(jobs_started++)))
                     .string();
      temporary_ckpt_dir = ckpt_dir;
    } else if (ckpt_dir.empty()) {
      ckpt_dir = (fs::path{opt.out_dir} / "checkpoints").string();
    }
    std::error_code ec;
    fs::create_directories(ckpt_dir, ec);
    for (uint32_t i = 0; i < opt.ps_shards && !resumed; ++i) {
      auto file = (fs::path{ckpt_dir} / ("ps-" + std::to_string(i) + ".ckpt")).string();
      fs::remove(file, ec);
      fs::remove(ps_update_log_path(file), ec);
    }
    runtime::supervisor_spec ps{"ps", runtime::strategy::one_for_one};
    ps.with_intensity(1000, std::chrono::seconds(10));
    for (uint32_t i = 0; i < opt.ps_shards; ++i) {
      auto r = chunk_range(initial.size(), opt.ps_shards, i);
      ps_shard_options so;
      so.index = i;
      so.initial.assign(initial.begin() + r.begin, initial.begin() + r.end);
      so.params = params > r.begin ? std::min(params - r.begin, r.size()) : 0;
      so.mode = opt.mode;
      so.staleness = opt.staleness;
      so.optimizer = opt.optimizer;
      so.checkpoint_every = opt.checkpoint_every;
      so.checkpoint_file = (fs::path{ckpt_dir} / ("ps-" + std::to_string(i) + ".ckpt")).string();
      ps.add(runtime::worker("shard-" + std::to_string(i), ps_shard_start(so)));
      shard_paths.push_back(shard_path(i));
      shard_sizes.push_back(r.size());
    }
    root.add(runtime::supervisor(ps));
  }

  job_master_options mo;
  mo.kind = opt.kind;
  mo.min_workers = opt.min_workers;
  mo.max_workers = opt.max_workers;
  mo.batch_size = opt.batch_size;
  mo.optimizer = opt.optimizer;
  mo.shard_paths = shard_paths;
  mo.shard_sizes = shard_sizes;
  mo.listener = listener;
  mo.coordinator_path = coordinator_path;
  mo.fingerprint = fingerprint;
  root.add(runtime::worker("master", job_master_start(mo)).with_snapshots(master_store));

  trainer_options to;
  to.architecture = opt.model;
  to.seed = opt.seed;
  to.threads = opt.threads;
  to.kind = opt.kind;
  to.mode = opt.mode;
  to.bucket_elems = opt.bucket_elems;
  to.optimizer = opt.optimizer;
  to.coordinator_path = coordinator_path;
  to.master_path = master_path;
  to.shard_paths = shard_paths;
  to.shard_sizes = shard_sizes;
  to.direct_link = opt.direct_link && opt.seeds.empty();
  to.link_host = opt.link_host;
  to.link_advertise = opt.link_advertise;
  to.push_delay = opt.slow_push;
  to.slow_trainer = opt.slow_push.count() > 0 ? trainer_id(0) : std::string{};
  runtime::supervisor_spec pool{"workers", runtime::strategy::simple_one_for_one};
  pool.with_intensity(1000, std::chrono::seconds(10));
  if (opt.seeds.empty()) {
    pool.add(runtime::worker("trainer", trainer_start(to)));
  } else {
    // A node that was just lost may still be in the view for one refresh: retry the placement.
    pool.with_backoff(runtime::backoff_options{std::chrono::milliseconds{100},
                                               std::chrono::milliseconds{1000}, 0.2,
                                               std::chrono::seconds{5}});
    pool.add(runtime::remote_worker("trainer", trainer_role_name, trainer_placement(opt), view,
                                    encode_trainer_args(to), std::chrono::seconds{5},
                                    std::string{root_name} + "/"));
  }
  root.add(runtime::supervisor(pool));

  auto tree = runtime::spawn_supervisor(sys, root, svc);
  caf::scoped_actor self{sys};
  caf::error failure;
  // The root answers once it started its children, so the pool is registered after this.
  self->request(tree, std::chrono::seconds(30), which_children_atom::value)
      .receive([](std::vector<child_info>&) {}, [&](caf::error& err) { failure = err; });
  auto pool_actor = svc.names->get(pool_path);
  for (uint32_t i = 0; i < opt.workers && !failure; ++i)
    self->request(pool_actor, std::chrono::seconds(30), start_child_atom::value, trainer_id(i),
                  caf::message{})
        .receive([](caf::actor&) {}, [&](caf::error& err) { failure = err; });
  // The resumed state is in the stores now; a crash from here on must not resume it again.
  if (resumed && !failure)
    state_dir->consume();
  if (opt.stop)
    opt.stop->on_stop([listener] { caf::anon_send(listener, train_stop_atom::value); });
  job_report report;
  if (!failure)
    self->request(listener, opt.timeout, train_result_atom::value)
        .receive(
            [&](train_state& s) {
              auto st = decode_state(s.data, initial.size());
              if (st)
                report.values = std::move(st->values);
              else
                failure = st.error();
            },
            [&](caf::error& err) {
              if (err == training_errc::stopped)
                report.stopped = true;
              else
                failure = err;
            });
  if (opt.stop)
    opt.stop->on_stop(nullptr);
  auto end = std::chrono::steady_clock::now();
  self->send_exit(tree, caf::exit_reason::user_shutdown);
  self->send_exit(listener, caf::exit_reason::kill);
  self->wait_for(tree);
  if (!temporary_ckpt_dir.empty()) {
    std::error_code ec;
    fs::remove_all(temporary_ckpt_dir, ec);
  }
  if (!failure && report.stopped)
    failure = save_stopped(*state_dir, *ledger_store, *master_store);
  else if (!failure && state_dir)
    state_dir->clear();
  if (failure)
    return failure;
  {
    std::lock_guard<std::mutex> guard{shared->mtx};
    auto& p = shared->last;
    report.steps = p.steps;
    report.samples_trained = p.ledger_samples;
    report.samples_committed = p.samples;
    report.restarts = shared->restarts;
    report.final_workers = p.workers;
    report.peak_workers = shared->peak_workers;
    report.compute_s = p.compute_ns / 1e9;
    report.comm_s = p.comm_ns / 1e9;
    report.wait_s = p.wait_ns / 1e9;
    report.max_staleness = p.max_staleness;
    report.aborted_steps = p.aborted_steps;
    report.partial_pushes = p.partial_pushes;
    report.replica_checks = shared->replica_checks;
    report.replica_mismatches = shared->replica_mismatches;
    if (shared->stepped)
      report.seconds = std::chrono::duration<double>(end - shared->first_step).count();
  }
  report.epoch_samples = data.train_count();
  if (report.seconds > 0)
    report.train_images_per_s = report.samples_committed / report.seconds;
  if (report.stopped)
    return report;
  probe.write_values(report.values.data());
  auto& test = data.content->test;
  auto acc = probe.evaluate(test.pixels.data(), test.labels.data(), data.test_count(),
                            test.channels, test.height, test.width);
  if (!acc)
    return acc.error();
  report.test_accuracy = *acc;
  if (!opt.out_dir.empty()) {
    std::map<std::string, double> metrics{
        {"test_accuracy", report.test_accuracy},
        {"train_images_per_s", report.train_images_per_s},
        {"steps", static_cast<double>(report.steps)},
        {"epochs", static_cast<double>(opt.epochs)},
        {"samples_trained", static_cast<double>(report.samples_trained)}};
    auto version = probe.save(opt.out_dir, opt.model, prep, metrics);
    if (!version)
      return version.error();
    report.version = *version;
  }
  return report;
}

} // namespace dmlp::training
