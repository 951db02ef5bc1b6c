#pragma once
/// The clocks calib's benchmarks (and validate's real runs) read: wall time since a point, and a
/// thread's own CPU time.

#include <time.h>

#include <chrono>
#include <stdexcept>

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

}  // namespace servesim::calib
