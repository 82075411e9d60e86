// Ingest benchmarks (issue 4). Everything is measured in the same run on the same machine:
//   ingest vs training: batches/s that the ingest coordinator delivers from the memory cache to
//     one consumer (credit window K, each batch decoded and acknowledged, the ledger saved to a
//     file snapshot store after every change), divided by the training step rate of one
//     trainer: a real libtorch step (forward, backward, Adam) of the book's `cnn` at batch 64 on
//     1 thread. Target ≥ 20: ingest must never be the bottleneck.
//   cold vs warm load: the full Fashion-MNIST through the disk cache from the gzip'd IDX source
//     (cache miss: read, validate, preprocess, write the shards) vs from the cache (hit: read and
//     verify the shards), medians of interleaved rounds.
// Usage: ingest_bench [--json] [--rounds N] [--batches N] [--window K] [--data-dir DIR]
// (--window: the consumer's credit window, default 8; with a durable ledger the rate is
// bounded by about window / fsync latency, since a batch leaves only after its save)
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "actors/ingest/coordinator.hpp"
#include "actors/ingest/dataset.hpp"
#include "actors/ingest/disk_cache.hpp"
#include "messages/errors.hpp"
#include "messages/ingest.hpp"
#include "messages/ingest_errors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/snapshot_store.hpp"
#include "runtime/system_config.hpp"

using namespace dmlp;
using namespace dmlp::ingest;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// The book's `cnn`, defined here because the model registry lives with another role.
struct cnn_impl : torch::nn::Module {
  cnn_impl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3)))),
        conv3(register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3)))),
        fc1(register_module("fc1", torch::nn::Linear(576, 64))),
        fc2(register_module("fc2", torch::nn::Linear(64, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    x = torch::relu(conv3->forward(x)).flatten(1);
    return fc2->forward(torch::relu(fc1->forward(x)));
  }

  torch::nn::Conv2d conv1, conv2, conv3;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE_IMPL(cnn, cnn_impl);

// Training steps per second of one trainer on 1 thread, batch 64, real samples.
double train_steps_per_second(const sample_set& train, int steps) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  cnn model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  const int64_t batch = 64;
  auto images = torch::from_blob(const_cast<float*>(train.pixels.data()),
                                 {static_cast<int64_t>(train.count), 1, 28, 28}, torch::kFloat32);
  std::vector<int64_t> label_values(train.labels.begin(), train.labels.end());
  auto labels = torch::tensor(label_values, torch::kInt64);
  auto step = [&](int64_t i) {
    auto first = (i * batch) % (static_cast<int64_t>(train.count) - batch);
    auto x = images.narrow(0, first, batch);
    auto y = labels.narrow(0, first, batch);
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    optimizer.step();
  };
  for (int i = 0; i < 10; ++i)
    step(i);
  auto start = clock_type::now();
  for (int i = 0; i < steps; ++i)
    step(i + 10);
  return steps / seconds_since(start);
}

using done_atom = caf::atom_constant<caf::atom("benchdone")>;

// A consumer that decodes and acknowledges every batch at once, until `target` batches.
caf::behavior consumer(caf::event_based_actor* self, caf::actor coordinator, uint64_t target,
                       uint32_t window, caf::actor report) {
  auto received = std::make_shared<uint64_t>(0);
  self->request(coordinator, std::chrono::seconds{10}, ingest_register{"bench", window})
      .then([=](ingest_job&) {
        self->request(coordinator, std::chrono::seconds{10}, ingest_credit{"bench", window})
            .then([] {});
      });
  return {
      [=](ingest_batch& batch) {
        auto bundle = decode(batch.data);
        if (!bundle || bundle->tensors.size() != 3)
          std::cerr << "ingest_bench: undecodable batch\n";
        if (++*received == target) {
          self->send(report, done_atom::value, *received);
          self->quit();
          return;
        }
        self->request(coordinator, std::chrono::seconds{10},
                      ingest_ack{"bench", batch.epoch, batch.batch, 1})
            .then([] {},
                  [](caf::error& err) {
                    std::cerr << "ingest_bench: ack failed: " << describe(err) << "\n";
                  });
      },
      [](ingest_epoch_end&) {},
  };
}

// Batches per second from the coordinator to one consumer.
double ingest_batches_per_second(caf::actor_system& sys,
                                 std::shared_ptr<const dataset_content> content,
                                 std::shared_ptr<runtime::snapshot_store> store, uint64_t target,
                                 uint32_t window) {
  coordinator_options options;
  options.ledger.batch_size = 64;
  auto coordinator =
      spawn_coordinator(sys, coordinator_data{content, "fashion-mnist", "bench", preprocessing{}},
                        options, store, "bench/coordinator");
  if (!coordinator) {
    std::cerr << "ingest_bench: " << describe(coordinator.error()) << "\n";
    return 0;
  }
  caf::scoped_actor self{sys};
  auto start = clock_type::now();
  sys.spawn(consumer, *coordinator, target, window, caf::actor{self});
  double rate = 0;
  self->receive(
      [&](done_atom, uint64_t n) { rate = static_cast<double>(n) / seconds_since(start); },
      caf::after(std::chrono::seconds{300}) >>
          [&] { std::cerr << "ingest_bench: consumer timed out\n"; });
  self->send_exit(*coordinator, caf::exit_reason::user_shutdown);
  return rate;
}

} // namespace

int main(int argc, char** argv) {
  bool json = false;
  int rounds = 3;
  uint64_t batches = 3000;
  uint32_t window = 8;
  std::string data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json")
      json = true;
    else if (arg == "--rounds" && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--batches" && i + 1 < argc)
      batches = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
    else if (arg == "--window" && i + 1 < argc)
      window = static_cast<uint32_t>(std::max(1, std::atoi(argv[++i])));
    else if (arg == "--data-dir" && i + 1 < argc)
      data_dir = argv[++i];
    else {
      std::cerr << "usage: ingest_bench [--json] [--rounds N] [--batches N] [--window K] "
                   "[--data-dir DIR]\n";
      return 2;
    }
  }
  register_ingest_error_names();
  auto source = make_dataset(dataset_options{"fashion-mnist", data_dir});
  if (!source) {
    std::cerr << "ingest_bench: " << describe(source.error()) << "\n";
    return 1;
  }
  auto scratch = std::filesystem::temp_directory_path() /
                 ("dmlp-ingest-bench-" + std::to_string(std::random_device{}()));
  disk_cache cache{cache_options{(scratch / "cache").string(), 4}};

  // Cold vs warm load, interleaved.
  std::vector<double> cold, warm;
  std::shared_ptr<const dataset_content> content;
  for (int r = 0; r < rounds; ++r) {
    std::filesystem::remove_all(scratch / "cache");
    auto start = clock_type::now();
    auto miss = cache.load(**source, preprocessing{});
    cold.push_back(seconds_since(start));
    if (!miss || miss->outcome != cache_outcome::miss) {
      std::cerr << "ingest_bench: cold load failed\n";
      return 1;
    }
    start = clock_type::now();
    auto hit = cache.load(**source, preprocessing{});
    warm.push_back(seconds_since(start));
    if (!hit || hit->outcome != cache_outcome::hit) {
      std::cerr << "ingest_bench: warm load did not hit the cache\n";
      return 1;
    }
    content = hit->content;
  }
  auto cold_s = median(cold);
  auto warm_s = median(warm);
  std::cout << "cold load (source -> cache): " << cold_s << " s, warm load (cache): " << warm_s
            << " s, cold/warm = " << cold_s / warm_s << "\n";

  // Ingest rate vs training step rate.
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg);
  register_ingest_errors(cfg);
  double durable = 0, in_memory = 0, steps = 0;
  {
    caf::actor_system sys{cfg};
    std::vector<double> durable_runs, memory_runs, step_runs;
    for (int r = 0; r < rounds; ++r) {
      auto store = std::make_shared<runtime::file_snapshot_store>((scratch / "ledger").string());
      durable_runs.push_back(ingest_batches_per_second(sys, content, store, batches, window));
      memory_runs.push_back(ingest_batches_per_second(
          sys, content, std::make_shared<runtime::memory_snapshot_store>(), batches, window));
      step_runs.push_back(train_steps_per_second(content->train, 60));
    }
    durable = median(durable_runs);
    in_memory = median(memory_runs);
    steps = median(step_runs);
  }
  std::filesystem::remove_all(scratch);
  auto ratio = durable / steps;
  std::cout << "ingest: " << durable << " batches/s (ledger saved to disk each change), "
            << in_memory << " batches/s (ledger in memory); one trainer (cnn, batch 64, "
            << "1 thread): " << steps << " steps/s; ingest/trainer = " << ratio
            << " (target >= 20)\n";
  if (json) {
    nlohmann::json j{{"bench", "ingest"},
                     {"cold_load_s", cold_s},
                     {"warm_load_s", warm_s},
                     {"cold_warm_ratio", cold_s / warm_s},
                     {"ingest_batches_per_s", durable},
                     {"ingest_batches_per_s_memory_ledger", in_memory},
                     {"train_steps_per_s", steps},
                     {"window", window},
                     {"ingest_train_ratio", ratio},
                     {"ingest_train_ratio_target", 20}};
    std::cout << j.dump() << "\n";
  }
  return 0;
}
