#pragma once
/// What a running model reports, so that metrics/ can measure it without model/ knowing how.

#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

/// Cumulative counters read at the start and end of the measurement window; metrics/ takes
/// differences. Areas are time integrals in (count x ns) from time 0.
struct ModelCounters {
  Time now = 0;
  std::uint64_t arrivals = 0;  // requests that entered the system
  std::uint64_t dropped = 0;   // arrivals refused because run.max_in_system was reached
  std::uint64_t completions = 0;
  std::uint64_t in_system = 0;              // requests inside at this instant
  double in_system_area = 0.0;              // integral of requests in system
  std::vector<double> stage_busy_area;      // per stage: busy workers
  std::vector<double> stage_in_stage_area;  // per stage: requests queued or in service
  double cpu_busy_area = 0.0;               // busy cores
};

class Observer {
 public:
  /// A request finished; called only inside the measurement window.
  virtual void request_done(Time latency) = 0;
  /// A request left stage `stage` after waiting `queue` and being served for `service`;
  /// called only inside the measurement window.
  virtual void stage_done(std::uint32_t stage, Time queue, Time service) = 0;

 protected:
  ~Observer() = default;
};

}  // namespace servesim
