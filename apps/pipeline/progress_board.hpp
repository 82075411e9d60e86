// What a user watches while a pipeline runs: one line per step state change and a live
// progress bar per training job (epoch, step, loss, accuracy, images/s, ETA). On a terminal the
// bars are redrawn in place below the step lines (at most ten times a second); elsewhere they
// degrade to plain lines, one per job at each epoch and every `plain_interval`. Thread-safe:
// training jobs report from their own threads.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace dmlp::pipeline {

/// One training job's state for its bar.
struct training_progress {
  /// Epoch in progress, counted from 1.
  uint64_t epoch = 1;
  /// Epochs in the job.
  uint64_t epochs = 1;
  /// Committed steps.
  uint64_t steps = 0;
  /// Loss of the last step.
  double loss = 0;
  /// Test accuracy after the last completed epoch; NaN before the first.
  double accuracy = std::nan("");
  /// Training images per second so far.
  double images_per_s = 0;
  /// Seconds left at the current rate.
  double eta_s = 0;
  /// Fraction of all samples done, 0..1.
  double fraction = 0;
};

/// Renders `p` as "epoch 3/8 step 1200 loss 0.3120 acc 0.871 5400 img/s ETA 42s".
std::string progress_line(const training_progress& p);

/// The live view of one pipeline run.
class progress_board {
public:
  /// Writes to `out`; `terminal` selects in-place bars.
  progress_board(std::ostream& out, bool terminal,
                 std::chrono::milliseconds plain_interval = std::chrono::seconds(10));

  /// A step instance changed state ("running", "complete", "memoized", …).
  void step(const std::string& instance, const std::string& state);

  /// A free-form line (e.g. "serving on http://…").
  void line(const std::string& text);

  /// A training job progressed; `epoch_done` marks the report after a completed epoch.
  void training(const std::string& job, const training_progress& p, bool epoch_done);

  /// The job finished; its bar is removed.
  void finish(const std::string& job);

private:
  void erase_bars_locked();
  void draw_bars_locked();
  void print_locked(const std::string& text);

  std::mutex mtx_;
  std::ostream& out_;
  bool terminal_;
  std::chrono::milliseconds plain_interval_;
  std::vector<std::pair<std::string, training_progress>> jobs_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_plain_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t drawn_ = 0;
};

} // namespace dmlp::pipeline
