#include "apps/pipeline/progress_board.hpp"

#include <algorithm>
#include <cstdio>

namespace dmlp::pipeline {

std::string progress_line(const training_progress& p) {
  char acc[32] = "";
  if (!std::isnan(p.accuracy))
    std::snprintf(acc, sizeof acc, " acc %.3f", p.accuracy);
  char text[200];
  std::snprintf(text, sizeof text, "epoch %llu/%llu step %llu loss %.4f%s %.0f img/s ETA %.0fs",
                static_cast<unsigned long long>(p.epoch), static_cast<unsigned long long>(p.epochs),
                static_cast<unsigned long long>(p.steps), p.loss, acc, p.images_per_s,
                std::max(0.0, p.eta_s));
  return text;
}

progress_board::progress_board(std::ostream& out, bool terminal,
                               std::chrono::milliseconds plain_interval)
    : out_(out), terminal_(terminal), plain_interval_(plain_interval) {}

void progress_board::erase_bars_locked() {
  for (; drawn_ > 0; --drawn_)
    out_ << "\033[1A\033[2K";
}

void progress_board::draw_bars_locked() {
  constexpr int width = 24;
  for (const auto& [job, p] : jobs_) {
    auto filled = static_cast<int>(std::clamp(p.fraction, 0.0, 1.0) * width);
    out_ << "  " << job << " [" << std::string(filled, '#') << std::string(width - filled, '.')
         << "] " << progress_line(p) << "\n";
    ++drawn_;
  }
  out_.flush();
  last_draw_ = std::chrono::steady_clock::now();
}

void progress_board::print_locked(const std::string& text) {
  if (terminal_) {
    erase_bars_locked();
    out_ << text << "\n";
    draw_bars_locked();
  } else {
    out_ << text << std::endl;
  }
}

void progress_board::step(const std::string& instance, const std::string& state) {
  std::lock_guard<std::mutex> guard{mtx_};
  print_locked("step " + instance + ": " + state);
}

void progress_board::line(const std::string& text) {
  std::lock_guard<std::mutex> guard{mtx_};
  print_locked(text);
}

void progress_board::training(const std::string& job, const training_progress& p, bool epoch_done) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto now = std::chrono::steady_clock::now();
  auto i = std::find_if(jobs_.begin(), jobs_.end(), [&](const auto& j) { return j.first == job; });
  if (i == jobs_.end())
    jobs_.emplace_back(job, p);
  else
    i->second = p;
  if (terminal_) {
    if (epoch_done || now - last_draw_ >= std::chrono::milliseconds(100)) {
      erase_bars_locked();
      draw_bars_locked();
    }
    return;
  }
  auto& last = last_plain_[job];
  if (epoch_done || now - last >= plain_interval_) {
    last = now;
    out_ << "  " << job << ": " << progress_line(p) << std::endl;
  }
}

void progress_board::finish(const std::string& job) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (terminal_)
    erase_bars_locked();
  jobs_.erase(
      std::remove_if(jobs_.begin(), jobs_.end(), [&](const auto& j) { return j.first == job; }),
      jobs_.end());
  last_plain_.erase(job);
  if (terminal_)
    draw_bars_locked();
}

} // namespace dmlp::pipeline
