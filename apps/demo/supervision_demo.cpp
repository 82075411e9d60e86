#include "apps/demo/supervision_demo.hpp"

#include <chrono>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "messages/type_ids.hpp"
#include "runtime/errors.hpp"

namespace dmlp::demo {

namespace {

using std::chrono::milliseconds;

// Generous: a dead peer answers at once with an error; only a hung one waits this long.
constexpr milliseconds request_timeout{5000};
constexpr milliseconds tick_interval{20};
constexpr const char* workers_prefix = "demo/workers/";
constexpr const char* ledger_path = "demo/ledger";

// -- little-endian u64 lists for snapshots ----------------------------------------------------

void put_u64(std::vector<uint8_t>& out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

bool get_u64(const std::vector<uint8_t>& in, size_t& pos, uint64_t& value) {
  if (pos + 8 > in.size())
    return false;
  value = 0;
  for (int i = 0; i < 8; ++i)
    value |= static_cast<uint64_t>(in[pos + i]) << (8 * i);
  pos += 8;
  return true;
}

// -- squarer ----------------------------------------------------------------------------------

caf::behavior squarer(caf::event_based_actor*) {
  return {
      [](demo_work_atom, uint64_t item) { return work_value(item); },
  };
}

// -- ledger -----------------------------------------------------------------------------------

// Committed items as a watermark (every item below it is committed) plus the committed items
// above it, so the snapshot stays small while items commit roughly in order.
struct ledger_state {
  uint64_t watermark = 0;
  std::set<uint64_t> above;
  uint64_t value_sum = 0;
  uint64_t duplicates = 0;
  std::shared_ptr<runtime::snapshot_store> store;
  std::string key;

  bool committed(uint64_t item) const { return item < watermark || above.count(item) > 0; }

  uint64_t count() const { return watermark + above.size(); }

  void commit(uint64_t item, uint64_t value) {
    above.insert(item);
    value_sum += value;
    while (!above.empty() && *above.begin() == watermark) {
      above.erase(above.begin());
      ++watermark;
    }
  }

  std::vector<uint8_t> encode() const {
    std::vector<uint8_t> out;
    put_u64(out, watermark);
    put_u64(out, value_sum);
    put_u64(out, duplicates);
    put_u64(out, above.size());
    for (auto item : above)
      put_u64(out, item);
    return out;
  }

  bool decode(const std::vector<uint8_t>& in) {
    size_t pos = 0;
    uint64_t n = 0;
    if (!get_u64(in, pos, watermark) || !get_u64(in, pos, value_sum) ||
        !get_u64(in, pos, duplicates) || !get_u64(in, pos, n))
      return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t item = 0;
      if (!get_u64(in, pos, item))
        return false;
      above.insert(item);
    }
    return true;
  }
};

caf::behavior ledger(caf::stateful_actor<ledger_state>* self, runtime::start_context ctx) {
  auto& st = self->state;
  st.store = ctx.snapshots;
  st.key = ctx.path;
  if (ctx.snapshot && !st.decode(ctx.snapshot->payload)) {
    self->quit(caf::make_error(runtime::runtime_errc::start_failed, "corrupt ledger snapshot"));
    return {};
  }
  return {
      [self](demo_commit_atom, uint64_t item, uint64_t value) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.committed(item)) {
          ++st.duplicates;
        } else {
          st.commit(item, value);
        }
        // Persist before acknowledging: an acknowledged commit survives a ledger restart.
        if (auto saved = st.store->save(st.key, st.encode()); !saved)
          return saved.error();
        return st.count();
      },
      [self](demo_missing_atom, uint64_t below) {
        std::vector<int64_t> missing;
        for (uint64_t item = self->state.watermark; item < below; ++item)
          if (!self->state.committed(item))
            missing.push_back(static_cast<int64_t>(item));
        return missing;
      },
      [self](demo_stats_atom) {
        auto& st = self->state;
        return caf::make_message(st.count(), st.value_sum, st.duplicates);
      },
  };
}

// -- dispatcher -------------------------------------------------------------------------------

struct dispatcher_state {
  uint64_t next_item = 0;
  uint64_t lost = 0;
  bool draining = false;
  bool recovered = false;
  // Items lost and waiting to be issued again; persisted so a restart does not count them twice.
  std::vector<uint64_t> retry;
  // The item each busy squarer (by actor id) holds, from issue until its commit is acknowledged.
  std::unordered_map<uint64_t, uint64_t> busy_workers;
  // Squarers that failed a request: the registry may list a dead one until its supervisor has
  // processed the exit, and an actor id is never reused.
  std::set<uint64_t> dead_workers;
  std::vector<caf::response_promise> drain_waiters;
  std::shared_ptr<runtime::snapshot_store> store;
  std::shared_ptr<runtime::name_registry> names;
  std::string key;

  std::vector<uint8_t> encode() const {
    std::vector<uint8_t> out;
    put_u64(out, next_item);
    put_u64(out, lost);
    put_u64(out, retry.size());
    for (auto item : retry)
      put_u64(out, item);
    return out;
  }

  bool decode(const std::vector<uint8_t>& in) {
    size_t pos = 0;
    uint64_t n = 0;
    if (!get_u64(in, pos, next_item) || !get_u64(in, pos, lost) || !get_u64(in, pos, n))
      return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t item = 0;
      if (!get_u64(in, pos, item))
        return false;
      retry.push_back(item);
    }
    return true;
  }

  void persist() { store->save(key, encode()); }
};

using dispatcher_actor = caf::stateful_actor<dispatcher_state>;

void dispatch(dispatcher_actor* self);

void finish_if_drained(dispatcher_actor* self) {
  auto& st = self->state;
  if (!st.draining || !st.busy_workers.empty() || !st.retry.empty())
    return;
  for (auto& waiter : st.drain_waiters)
    waiter.deliver(st.next_item, st.lost);
  st.drain_waiters.clear();
}

void redo(dispatcher_actor* self, uint64_t item) {
  self->state.lost += 1;
  self->state.retry.push_back(item);
  self->state.persist();
}

void release(dispatcher_actor* self, uint64_t worker_id) {
  self->state.busy_workers.erase(worker_id);
  dispatch(self);
}

// A computed value is committed until the ledger acknowledges it: while the ledger restarts,
// the commit is retried (the work is not redone) and the squarer stays reserved for it.
void commit(dispatcher_actor* self, uint64_t worker_id, uint64_t item, uint64_t value) {
  auto retry_later = [self, worker_id, item, value] {
    self->delayed_send(self, tick_interval, demo_commit_atom::value, worker_id, item, value);
  };
  auto ledger = self->state.names->get(ledger_path);
  if (!ledger) {
    retry_later();
    return;
  }
  self->request(ledger, request_timeout, demo_commit_atom::value, item, value)
      .then([self, worker_id](uint64_t) { release(self, worker_id); },
            [retry_later](caf::error&) { retry_later(); });
}

void dispatch(dispatcher_actor* self) {
  auto& st = self->state;
  if (st.recovered)
    for (auto& [path, worker] : st.names->list(workers_prefix)) {
      if (st.busy_workers.count(worker.id()) > 0 || st.dead_workers.count(worker.id()) > 0)
        continue;
      uint64_t item;
      if (!st.retry.empty()) {
        item = st.retry.back();
        st.retry.pop_back();
      } else if (!st.draining) {
        item = st.next_item++;
      } else {
        break;
      }
      // Persist first: a restarted dispatcher must never reuse an item number.
      st.persist();
      auto worker_id = worker.id();
      st.busy_workers.emplace(worker_id, item);
      self->request(worker, request_timeout, demo_work_atom::value, item)
          .then([self, worker_id, item](uint64_t value) { commit(self, worker_id, item, value); },
                [self, worker_id, item](caf::error&) {
                  self->state.dead_workers.insert(worker_id);
                  redo(self, item);
                  release(self, worker_id);
                });
    }
  finish_if_drained(self);
}

// Items issued by an earlier incarnation, neither committed nor waiting for a retry, were in
// flight when it died: they are lost and issued again.
void recover(dispatcher_actor* self) {
  auto ledger = self->state.names->get(ledger_path);
  if (!ledger) {
    self->delayed_send(self, tick_interval, demo_tick_atom::value);
    return;
  }
  self->request(ledger, request_timeout, demo_missing_atom::value, self->state.next_item)
      .then(
          [self](const std::vector<int64_t>& missing) {
            auto& st = self->state;
            std::set<uint64_t> queued(st.retry.begin(), st.retry.end());
            for (auto item : missing)
              if (queued.count(static_cast<uint64_t>(item)) == 0)
                redo(self, static_cast<uint64_t>(item));
            st.recovered = true;
            dispatch(self);
          },
          [self](caf::error&) { self->delayed_send(self, tick_interval, demo_tick_atom::value); });
}

caf::behavior dispatcher(dispatcher_actor* self, runtime::start_context ctx) {
  auto& st = self->state;
  st.store = ctx.snapshots;
  st.names = ctx.services.names;
  st.key = ctx.path;
  if (ctx.snapshot && !st.decode(ctx.snapshot->payload)) {
    self->quit(caf::make_error(runtime::runtime_errc::start_failed, "corrupt dispatcher snapshot"));
    return {};
  }
  recover(self);
  self->delayed_send(self, tick_interval, demo_tick_atom::value);
  return {
      [self](demo_tick_atom) {
        if (!self->state.recovered)
          recover(self);
        else
          dispatch(self);
        self->delayed_send(self, tick_interval, demo_tick_atom::value);
      },
      [self](demo_commit_atom, uint64_t worker_id, uint64_t item, uint64_t value) {
        commit(self, worker_id, item, value);
      },
      [self](demo_drain_atom) -> caf::result<uint64_t, uint64_t> {
        auto& st = self->state;
        st.draining = true;
        auto promise = self->make_response_promise<uint64_t, uint64_t>();
        st.drain_waiters.push_back(promise);
        if (st.recovered)
          dispatch(self);
        return promise;
      },
  };
}

} // namespace

uint64_t work_value(uint64_t k) {
  uint64_t acc = k;
  for (uint64_t i = 0; i < 2000; ++i)
    acc = (acc * 6364136223846793005ULL + k + i) % 1000000007ULL;
  return acc;
}

uint64_t loss_bound(const std::string& killed_path, uint32_t workers) {
  if (killed_path == ledger_path)
    return 0;
  return killed_path.compare(0, std::string{workers_prefix}.size(), workers_prefix) == 0 ? 1
                                                                                         : workers;
}

uint64_t expected_sum(uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t k = 0; k < n; ++k)
    sum += work_value(k);
  return sum;
}

runtime::supervisor_spec make_demo_spec(const demo_options& options,
                                        std::shared_ptr<runtime::snapshot_store> snapshots) {
  using namespace runtime;
  backoff_options quick;
  quick.min = milliseconds{1};
  quick.max = milliseconds{50};
  supervisor_spec pool{"workers", strategy::simple_one_for_one};
  pool.with_intensity(options.pool_restarts_per_second, std::chrono::seconds{1})
      .with_backoff(quick)
      .with_initial_members(options.workers)
      .add(worker("squarer", [](const start_context& ctx) -> caf::expected<caf::actor> {
             return ctx.system.spawn(squarer);
           }).with_shutdown(shutdown_spec::brutal_kill()));
  supervisor_spec root{"demo", strategy::one_for_one};
  root.with_intensity(100000, std::chrono::seconds{1})
      .with_backoff(quick)
      .add(worker("ledger",
                  [](const start_context& ctx) -> caf::expected<caf::actor> {
                    return ctx.system.spawn(ledger, ctx);
                  })
               .with_snapshots(snapshots))
      .add(supervisor(pool))
      .add(worker("dispatcher", [](const start_context& ctx) -> caf::expected<caf::actor> {
             return ctx.system.spawn(dispatcher, ctx);
           }).with_snapshots(snapshots));
  return root;
}

caf::expected<demo_totals> drain(caf::actor_system& sys,
                                 const runtime::runtime_services& services) {
  caf::scoped_actor self{sys};
  demo_totals totals;
  // The dispatcher or ledger may be between incarnations: ask again until both answer.
  for (int attempt = 0; attempt < 600; ++attempt) {
    auto dispatcher_handle = services.names->get("demo/dispatcher");
    auto ledger_handle = services.names->get(ledger_path);
    if (!dispatcher_handle || !ledger_handle) {
      self->receive(caf::after(milliseconds{10}) >> [] {});
      continue;
    }
    bool drained = false;
    self->request(dispatcher_handle, std::chrono::seconds{10}, demo_drain_atom::value)
        .receive(
            [&](uint64_t issued, uint64_t lost) {
              totals.issued = issued;
              totals.lost = lost;
              drained = true;
            },
            [&](caf::error&) {});
    if (!drained)
      continue;
    bool counted = false;
    self->request(ledger_handle, request_timeout, demo_stats_atom::value)
        .receive(
            [&](uint64_t committed, uint64_t value_sum, uint64_t duplicates) {
              totals.committed = committed;
              totals.value_sum = value_sum;
              totals.duplicate_commits = duplicates;
              counted = true;
            },
            [&](caf::error&) {});
    if (counted)
      return totals;
  }
  return caf::make_error(runtime::runtime_errc::no_such_target,
                         "the demo's dispatcher and ledger did not answer");
}

} // namespace dmlp::demo
