#include "apps/pipeline/serving_host.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <caf/all.hpp>

#include "actors/models/model_artifact.hpp"
#include "actors/serving/rate_limiter.hpp"
#include "messages/atoms.hpp"
#include "messages/serving.hpp"
#include "messages/type_ids.hpp"
#include "messages/workflow.hpp"

namespace fs = std::filesystem;

namespace dmlp::pipeline {

serving_host::serving_host(caf::actor_system& sys, std::string served_dir,
                           runtime::runtime_services services)
    : sys_(sys), served_dir_(std::move(served_dir)), services_(std::move(services)),
      metrics_(std::make_shared<serving::serving_metrics>()) {}

serving_host::~serving_host() {
  stop();
}

caf::expected<uint32_t> serving_host::copy_version(const std::string& model_dir, uint32_t version) {
  auto from = fs::path{models::version_path(model_dir, version)};
  std::error_code ec;
  if (!fs::is_directory(from, ec))
    return caf::make_error(step_errc::data_missing,
                           "model version " + from.string() + " does not exist");
  fs::create_directories(served_dir_, ec);
  if (ec)
    return caf::make_error(step_errc::internal,
                           "cannot create " + served_dir_ + ": " + ec.message());
  uint32_t next = 1;
  if (auto newest = models::newest_version(served_dir_))
    next = *newest + 1;
  // Copied under a temporary name, then renamed: the router never sees half a version.
  auto tmp = fs::path{served_dir_} / (".publish-" + std::to_string(next));
  fs::remove_all(tmp, ec);
  fs::copy(from, tmp, fs::copy_options::recursive, ec);
  if (ec)
    return caf::make_error(step_errc::internal,
                           "cannot copy " + from.string() + ": " + ec.message());
  // model.json names its own version; loaders refuse a record that disagrees with its directory.
  auto meta = models::read_metadata(model_dir, version);
  if (!meta)
    return meta.error();
  meta->version = next;
  std::ofstream record{tmp / models::metadata_file_name, std::ios::binary | std::ios::trunc};
  record << meta->to_json();
  record.close();
  if (!record)
    return caf::make_error(step_errc::internal, "cannot write the model record in " + tmp.string());
  fs::rename(tmp, models::version_path(served_dir_, next), ec);
  if (ec)
    return caf::make_error(step_errc::internal,
                           "cannot publish version " + std::to_string(next) + ": " + ec.message());
  return next;
}

caf::error serving_host::start_locked(const serving_settings& settings) {
  ready_timeout_ = settings.ready_timeout;
  auto opt = settings.service;
  opt.model_dir = served_dir_;
  auto svc = serving::model_service::start(sys_, opt, services_, metrics_);
  if (!svc)
    return svc.error();
  service_ = *svc;
  front_ = std::make_unique<serving::http_frontend>(
      sys_, settings.http, metrics_,
      std::make_shared<serving::rate_limiter>(serving::rate_limit_options{}));
  auto service = service_;
  front_->add_model(serving::served_model{service->name(), [service] { return service->router(); },
                                          service->prep(), service->classes(), served_dir_});
  auto port = front_->start();
  if (!port) {
    front_.reset();
    service_->stop();
    service_.reset();
    return port.error();
  }
  auto host = settings.http.host == "0.0.0.0" ? std::string{"127.0.0.1"} : settings.http.host;
  url_ = "http://" + host + ":" + std::to_string(*port);
  auto ready = service_->await_ready(std::max(1u, opt.replicas), ready_timeout_);
  if (!ready)
    return ready.error();
  return caf::none;
}

caf::error serving_host::await_version_locked(uint32_t version) {
  // The router finds new versions by polling the directory; ask it until it serves this one.
  caf::scoped_actor self{sys_};
  auto deadline = std::chrono::steady_clock::now() + ready_timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    uint32_t stable = 0;
    self->request(service_->router(), std::chrono::seconds(5), router_stats_atom::value)
        .receive([&](router_stats& s) { stable = s.stable_version; }, [](caf::error&) {});
    if (stable >= version)
      return caf::none;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return caf::make_error(step_errc::unavailable,
                         "the router did not swap to version " + std::to_string(version) +
                             " within " + std::to_string(ready_timeout_.count()) + " ms");
}

caf::expected<published_model> serving_host::publish(const std::string& model_dir, uint32_t version,
                                                     const serving_settings& settings) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto source = model_dir + "#" + std::to_string(version);
  published_model out;
  if (service_ && source == source_) {
    out.name = service_->name();
    out.url = url_;
    out.version = served_version_;
    return out;
  }
  auto copied = copy_version(model_dir, version);
  if (!copied)
    return copied.error();
  if (!service_) {
    if (auto err = start_locked(settings))
      return err;
    out.started = true;
  } else if (auto err = await_version_locked(*copied)) {
    return err;
  }
  source_ = source;
  served_version_ = *copied;
  out.name = service_->name();
  out.url = url_;
  out.version = served_version_;
  return out;
}

std::string serving_host::url() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return url_;
}

std::shared_ptr<serving::model_service> serving_host::service() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return service_;
}

caf::expected<std::string> serving_host::kill_replica() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!service_)
    return caf::make_error(step_errc::unavailable, "nothing is served");
  auto replicas = services_.names->list(service_->path() + "/replicas/");
  if (replicas.empty())
    return caf::make_error(step_errc::unavailable, "no replica is running");
  caf::anon_send_exit(replicas.front().second, caf::exit_reason::kill);
  return replicas.front().first;
}

void serving_host::stop() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (front_) {
    front_->stop();
    front_.reset();
  }
  if (service_) {
    service_->stop();
    service_.reset();
  }
}

} // namespace dmlp::pipeline
