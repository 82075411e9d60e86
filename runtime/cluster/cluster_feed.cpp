#include "runtime/cluster/cluster_feed.hpp"

#include "runtime/cluster/cluster_errors.hpp"

namespace dmlp::runtime {

caf::expected<std::unique_ptr<cluster_feed>>
cluster_feed::start(caf::actor_system& sys, std::vector<std::string> seeds, tls_options tls,
                    std::shared_ptr<cluster_view> view, std::chrono::milliseconds interval) {
  std::unique_ptr<cluster_feed> feed{
      new cluster_feed(sys, std::move(seeds), std::move(tls), std::move(view), interval)};
  if (auto err = feed->refresh())
    return err;
  if (feed->view_->members().empty())
    return caf::make_error(cluster_errc::no_eligible_node, "no cluster member is up");
  feed->thread_ = std::thread{[f = feed.get()] { f->run(); }};
  return feed;
}

cluster_feed::cluster_feed(caf::actor_system& sys, std::vector<std::string> seeds, tls_options tls,
                           std::shared_ptr<cluster_view> view, std::chrono::milliseconds interval)
    : client_(sys, std::move(tls)), seeds_(std::move(seeds)), view_(std::move(view)),
      interval_(interval) {}

cluster_feed::~cluster_feed() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

caf::expected<cluster_status> cluster_feed::ask_any() {
  if (source_) {
    if (auto status = client_.status(source_))
      return status;
    source_ = {};
  }
  for (auto& [name, entry] : direct_)
    if (auto status = client_.status(entry.second)) {
      source_ = entry.second;
      return status;
    }
  auto agent = client_.connect_any(seeds_);
  if (!agent)
    return agent.error();
  auto status = client_.status(*agent);
  if (status)
    source_ = *agent;
  return status;
}

caf::error cluster_feed::refresh() {
  auto status = ask_any();
  if (!status)
    return status.error();
  std::vector<member_info> live;
  for (auto member : status->nodes) {
    if (member.state != member_state::up)
      continue;
    auto known = direct_.find(member.name);
    if (known == direct_.end() || known->second.first != member.epoch) {
      auto agent = client_.connect(member.host + ":" + std::to_string(member.port));
      if (!agent)
        continue;
      known = direct_.insert_or_assign(member.name, std::make_pair(member.epoch, *agent)).first;
    }
    member.agent = known->second.second;
    live.push_back(std::move(member));
  }
  for (auto i = direct_.begin(); i != direct_.end();) {
    bool still_up = false;
    for (const auto& m : live)
      still_up = still_up || m.name == i->first;
    i = still_up ? std::next(i) : direct_.erase(i);
  }
  view_->update(std::move(live));
  return {};
}

void cluster_feed::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stopping_) {
    lock.unlock();
    // A failed round keeps the last view: placement retries with back-off meanwhile.
    refresh();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

} // namespace dmlp::runtime
