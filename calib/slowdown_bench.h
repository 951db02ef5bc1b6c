#pragma once
/// When this machine's cores run slower for a while (on a VM: a busy SMT sibling, a neighbour's
/// memory traffic on the host): one thread pinned to each CPU the process may use runs a fixed
/// kernel back to back, and each short window's mean call time against the core's median call
/// gives the core's speed in that window; a run of windows below a threshold is a slowdown.
/// Calls slower than the median by more than a stall are left out: stalls are their own process
/// (stall_bench.h). Written as the `node.cpu.slowdowns` YAML entry (docs/calibration.md).

#include <cstdint>
#include <string>
#include <vector>

#include "calib/machine.h"

namespace servesim::calib {

struct SlowdownPlan {
  double seconds = 30;              // each core's probe
  double window_s = 0.02;           // the speed is measured per window
  double threshold = 0.85;          // a window below this speed is slowed
  std::int64_t stall_ns = 200'000;  // a call longer than the median by this is a stall's
};

/// One core's windows, in order: each window's speed (the core's median call time over the
/// window's mean call time; 1 for a window with fewer than 3 calls left).
struct CoreSpeed {
  int cpu = 0;
  std::vector<double> windows;
};

SlowdownPlan slowdown_plan(bool quick);  // 5 s quick, 30 s full

/// Probes every CPU this process may use at once, `plan.seconds` each.
std::vector<CoreSpeed> probe_speed(const SlowdownPlan& plan);

struct SlowdownSummary {
  int slowdowns = 0;            // runs of slowed windows, all cores
  double per_core_rate = 0;     // slowdowns per second per core
  double slowed_fraction = 0;   // of each core's time, on average
  double interval_mean_ns = 0;  // from the end of one to the start of the next; 0: none seen
  double speed = 0;             // the slowed windows' mean speed; 0: none seen
  std::vector<std::int64_t> quantiles;  // 20 of the pooled lengths ((q + 0.5) / 20), ns
};

/// Pools the cores' slowdowns (maximal runs of windows below plan.threshold).
SlowdownSummary summarize_slowdowns(const std::vector<CoreSpeed>& cores, const SlowdownPlan& plan);

/// The `slowdowns:` entry for node.cpu (an exponential interval of the measured mean, the lengths
/// as their 20 quantiles, the slowed windows' mean speed), each line starting with `indent`;
/// empty when none was seen.
std::string slowdowns_entry(const SlowdownSummary& s, const SlowdownPlan& plan,
                            const MachineInfo& m, const std::string& indent);

/// `calib bench slowdowns`' slowdowns.yaml: the entry under `node: cpu:`, or a comment saying to
/// leave the key out when none was seen.
std::string slowdowns_yaml(const SlowdownSummary& s, const SlowdownPlan& plan,
                           const MachineInfo& m);

/// Every core's windows: `cpu,window,speed`.
std::string slowdowns_csv(const std::vector<CoreSpeed>& cores);

}  // namespace servesim::calib
