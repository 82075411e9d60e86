// A stop request for a running training job (job_options::stop): the caller keeps one
// shared_ptr, run_training another. request_stop() may be called from any thread, any number
// of times; the job's handler (installed by run_training while the job runs) is called once,
// on the requesting thread, or at once when the handler is installed after the request.
// Thread-safe: every member locks one mutex; the handler runs outside it, and on_stop(nullptr)
// returns only after a handler call in progress has finished, so run_training can tear its
// actor system down right after removing the handler.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

namespace dmlp::training {

/// A one-shot, thread-safe stop request.
class stop_token {
public:
  /// Asks the job to stop; the first call runs the handler, later ones do nothing.
  void request_stop() {
    std::function<void()> handler;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (requested_)
        return;
      requested_ = true;
      handler = handler_;
      if (handler)
        ++calls_;
    }
    if (handler)
      run(handler);
  }

  /// Whether a stop was requested.
  bool stop_requested() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return requested_;
  }

  /// Installs `handler` (called at once when a stop was already requested), or removes the
  /// handler with nullptr, waiting for a call of the old one in progress.
  void on_stop(std::function<void()> handler) {
    bool call_now = false;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      idle_.wait(lock, [this] { return calls_ == 0; });
      handler_ = handler;
      call_now = requested_ && handler_;
      if (call_now)
        ++calls_;
    }
    if (call_now)
      run(handler);
  }

private:
  void run(const std::function<void()>& handler) {
    handler();
    std::lock_guard<std::mutex> guard{mtx_};
    --calls_;
    idle_.notify_all();
  }

  mutable std::mutex mtx_;
  std::condition_variable idle_;
  std::function<void()> handler_;
  int calls_ = 0;
  bool requested_ = false;
};

} // namespace dmlp::training
