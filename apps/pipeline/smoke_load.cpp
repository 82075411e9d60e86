#include "apps/pipeline/smoke_load.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "messages/workflow.hpp"

namespace dmlp::pipeline {

namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

std::string request_body(const smoke_options& o, const smoke_images& images, size_t index) {
  auto first = images.pixels.begin() + static_cast<std::ptrdiff_t>(index * images.sample_size);
  std::vector<int> pixels(first, first + static_cast<std::ptrdiff_t>(images.sample_size));
  if (o.protocol == "v2")
    return json{{"inputs", json::array({json{{"name", "image"},
                                             {"shape", {1, images.sample_size}},
                                             {"datatype", "UINT8"},
                                             {"data", pixels}}})}}
        .dump();
  return json{{"instances", json::array({pixels})}}.dump();
}

/// Index of the largest probability in the answer, or -1 when it has none.
int predicted_class(const smoke_options& o, const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    return -1;
  const json* probs = nullptr;
  if (o.protocol == "v2") {
    if (!j.contains("outputs") || j["outputs"].empty() || !j["outputs"][0].contains("data"))
      return -1;
    probs = &j["outputs"][0]["data"];
  } else {
    if (!j.contains("predictions") || j["predictions"].empty())
      return -1;
    probs = &j["predictions"][0];
  }
  if (!probs->is_array() || probs->empty())
    return -1;
  int best = 0;
  for (size_t i = 1; i < probs->size(); ++i)
    if ((*probs)[i].get<double>() > (*probs)[best].get<double>())
      best = static_cast<int>(i);
  return best;
}

double percentile(std::vector<double>& xs, double q) {
  if (xs.empty())
    return 0;
  auto k = static_cast<size_t>(q * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return xs[k];
}

} // namespace

caf::expected<smoke_result> run_smoke_load(const smoke_options& o, const smoke_images& images) {
  if (images.sample_size == 0 || images.labels.empty() ||
      images.pixels.size() != images.labels.size() * images.sample_size)
    return caf::make_error(step_errc::invalid_parameters, "smoke load: no test images to send");
  if (o.protocol != "v1" && o.protocol != "v2")
    return caf::make_error(step_errc::invalid_parameters,
                           "smoke load: protocol must be v1 or v2, not '" + o.protocol + "'");
  if (o.url.rfind("http://", 0) != 0)
    return caf::make_error(step_errc::invalid_parameters,
                           "smoke load: '" + o.url + "' is not an http:// URL");
  auto path = o.protocol == "v2" ? "/v2/models/" + o.model + "/infer"
                                 : "/v1/models/" + o.model + ":predict";
  std::atomic<uint64_t> next{0};
  std::mutex mtx;
  std::vector<double> latencies;
  smoke_result result;
  uint64_t correct = 0;
  auto start = clock_type::now();
  std::vector<std::thread> clients;
  for (uint32_t c = 0; c < std::max(1u, o.concurrency); ++c)
    clients.emplace_back([&] {
      httplib::Client client{o.url};
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      std::vector<double> mine;
      uint64_t my_errors = 0;
      uint64_t my_correct = 0;
      std::string my_error;
      for (auto i = next++; i < o.requests; i = next++) {
        if (o.hook && i == o.hook_at)
          o.hook();
        auto index = i % images.labels.size();
        auto body = request_body(o, images, index);
        auto t0 = clock_type::now();
        auto res = client.Post(path.c_str(), body, "application/json");
        auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        if (!res || res->status != 200) {
          ++my_errors;
          if (my_error.empty())
            my_error = res ? "HTTP " + std::to_string(res->status) + ": " + res->body
                           : "transport error " + httplib::to_string(res.error());
          continue;
        }
        mine.push_back(ms);
        if (predicted_class(o, res->body) == images.labels[index])
          ++my_correct;
      }
      std::lock_guard<std::mutex> guard{mtx};
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      result.errors += my_errors;
      correct += my_correct;
      if (result.first_error.empty())
        result.first_error = my_error;
    });
  for (auto& t : clients)
    t.join();
  result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  result.requests = o.requests;
  auto ok = latencies.size();
  result.accuracy = ok > 0 ? static_cast<double>(correct) / static_cast<double>(ok) : 0;
  result.requests_per_s = result.seconds > 0 ? static_cast<double>(ok) / result.seconds : 0;
  result.p50_ms = percentile(latencies, 0.50);
  result.p99_ms = percentile(latencies, 0.99);
  return result;
}

} // namespace dmlp::pipeline
