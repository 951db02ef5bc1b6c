#pragma once
/// The clocks calib's benchmarks read (wall time since a point, a thread's own CPU time), and
/// where their threads run (the CPUs this process may use, pinning a thread to one).

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace servesim::calib {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The calling thread's CPU time so far, ns: user and system, its socket calls included.
inline double thread_cpu_ns() {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    throw std::runtime_error("cannot read this thread's CPU clock");
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

/// The CPUs this process may run on (its affinity mask), in order.
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

/// Keeps the calling thread on `cpu` from now on; false when the kernel refuses (not a CPU this
/// process may use).
inline bool pin_this_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/// CLOCK_MONOTONIC, ns.
inline std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Runs probe(i) on a thread pinned to each of `cpus` (cpus[i]), all at once, and waits for them;
/// a CPU the thread cannot be pinned to runs nothing.
template <class Probe>
void on_each_cpu(const std::vector<int>& cpus, const Probe& probe) {
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < cpus.size(); ++i)
    threads.emplace_back([&probe, &cpus, i] {
      if (pin_this_thread(cpus[i])) probe(i);
    });
  for (std::thread& t : threads) t.join();
}

}  // namespace servesim::calib
