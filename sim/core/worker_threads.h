#pragma once
/// Starting a pool of worker threads that survives the system refusing some of them.

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <new>
#include <optional>
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
  /// Threads working (not counting the caller's).
  std::size_t size() const { return threads_.size(); }
  /// Why the system refused a thread (empty when all started).
  const std::string& refused() const { return refused_; }

 private:
  friend WorkerThreads start_workers(std::size_t, const std::function<void()>&,
                                     const ThreadStarter&);
  std::vector<std::thread> threads_;
  std::string refused_;
};

/// Starts up to `n` threads each running `fn`. When the system refuses one (std::thread throws
/// std::system_error or std::bad_alloc: no memory for its stack, or a process limit), the pool
/// goes on with half of those that started, so that the memory the other stacks gave back is
/// left to the work (out of threads is usually out of memory, as under ulimit -v); the caller,
/// which works too, finishes the job on fewer threads. Threads wait at a gate until the pool is
/// settled, so those let go end before any work starts.
inline WorkerThreads start_workers(std::size_t n, const std::function<void()>& fn,
                                   const ThreadStarter& start = default_thread_starter()) {
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<std::size_t> keep;  // set once every thread is started: how many go on
    bool go = false;                  // set once the others have ended
  };
  const auto gate = std::make_shared<Gate>();
  const auto open = [&gate](auto change) {
    {
      std::lock_guard lock(gate->mu);
      change(*gate);
    }
    gate->cv.notify_all();
  };
  WorkerThreads pool;
  pool.threads_.reserve(n);
  for (std::size_t t = 0; t < n && pool.refused_.empty(); ++t) {
    try {
      pool.threads_.push_back(start([gate, t, fn] {  // fn by value: the caller's may be a temporary
        {
          std::unique_lock lock(gate->mu);
          gate->cv.wait(lock, [&] { return gate->keep.has_value(); });
          if (t >= *gate->keep) return;
          gate->cv.wait(lock, [&] { return gate->go; });
        }
        fn();
      }));
    } catch (const std::system_error& e) {
      pool.refused_ = e.what();
    } catch (const std::bad_alloc& e) {
      pool.refused_ = e.what();
    }
  }
  const std::size_t keep = pool.refused_.empty() ? pool.threads_.size() : pool.threads_.size() / 2;
#ifdef __GLIBC__
  // Short of memory, the workers also share two malloc arenas: glibc reserves 64 MB of address
  // space for each arena a new thread's first allocation creates (up to 8 per core), which under
  // `ulimit -v` took what the work itself needed (std::bad_alloc at 30 workers in 1 GB).
  if (!pool.refused_.empty()) mallopt(M_ARENA_MAX, 2);
#endif
  open([keep](Gate& g) { g.keep = keep; });
  for (std::size_t t = keep; t < pool.threads_.size(); ++t) pool.threads_[t].join();
  pool.threads_.resize(keep);
  open([](Gate& g) { g.go = true; });
  return pool;
}

}  // namespace servesim
