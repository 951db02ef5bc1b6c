#pragma once
/// Starting a pool of worker threads that survives the system refusing some of them.

#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace servesim {

/// How a worker thread is started: std::thread in a run; a test puts one here that fails on
/// purpose (the failure is otherwise only seen under memory or process limits).
using ThreadStarter = std::function<std::thread(std::function<void()>)>;

/// The starter start_workers uses unless given one (process-wide, for tests).
inline ThreadStarter& default_thread_starter() {
  static ThreadStarter start = [](std::function<void()> fn) { return std::thread(std::move(fn)); };
  return start;
}

/// The threads a pool got, joined at the latest when it goes: a joinable std::thread destroyed
/// would call std::terminate.
class WorkerThreads {
 public:
  WorkerThreads() = default;
  WorkerThreads(WorkerThreads&&) = default;
  WorkerThreads& operator=(WorkerThreads&&) = delete;
  ~WorkerThreads() { join(); }

  /// Waits for every started thread to finish.
  void join() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  /// Threads started (not counting the caller's).
  std::size_t size() const { return threads_.size(); }
  /// Why the system refused the next thread (empty when all started).
  const std::string& refused() const { return refused_; }

 private:
  friend WorkerThreads start_workers(std::size_t, const std::function<void()>&,
                                     const ThreadStarter&);
  std::vector<std::thread> threads_;
  std::string refused_;
};

/// Starts up to `n` threads each running `fn`. When the system refuses one (std::thread throws
/// std::system_error: out of memory for its stack, or a process limit), it stops there and keeps
/// those already running, so the caller, which works too, finishes the job on fewer threads.
inline WorkerThreads start_workers(std::size_t n, const std::function<void()>& fn,
                                   const ThreadStarter& start = default_thread_starter()) {
  WorkerThreads pool;
  pool.threads_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      pool.threads_.push_back(start(fn));
    } catch (const std::system_error& e) {
      pool.refused_ = e.what();
      break;
    }
  }
  return pool;
}

}  // namespace servesim
