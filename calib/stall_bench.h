#pragma once
/// `calib bench stalls`: when this machine's cores run nothing. One thread pinned to each CPU the
/// process may use reads the clock in a loop; a gap between two readings longer than a
/// threshold is a stall of that core (the hypervisor ran another guest's vCPU, an interrupt or
/// kernel thread took the core). Written as CSV and as the `node.cpu.stalls` YAML fragment the
/// simulator reads (docs/calibration.md).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "calib/machine.h"

namespace servesim::calib {

struct StallPlan {
  double seconds = 30;                  // each core's probe
  std::int64_t threshold_ns = 200'000;  // a gap longer than this is a stall
};

StallPlan stall_plan(bool quick);  // 5 s quick, 30 s full

/// What one core's probe saw: its CPU and its stalls' lengths in order, ns.
struct CoreStalls {
  int cpu = 0;
  std::vector<std::int64_t> gaps;
};

/// Probes every CPU this process may use at once, `plan.seconds` each.
std::vector<CoreStalls> probe_stalls(const StallPlan& plan);

struct StallSummary {
  double per_core_rate = 0;     // stalls per second per core
  double stalled_fraction = 0;  // of each core's time, on average
  double interval_mean_ns = 0;  // between the end of a stall and the next start; 0: no stalls
  std::vector<std::int64_t> quantiles;  // 20 of the pooled lengths ((q + 0.5) / 20), ns
};

/// Pools the cores' stalls over `seconds` of probing each.
StallSummary summarize_stalls(const std::vector<CoreStalls>& cores, double seconds);

/// The `node.cpu.stalls` fragment: an exponential interval (stalls as a Poisson process) with
/// the measured mean, and the lengths as an empirical distribution of the 20 quantiles; a
/// comment only when no stall was seen.
std::string stalls_yaml(const StallSummary& s, const StallPlan& plan, const MachineInfo& m);
/// Its `stalls:` entry alone, each line starting with `indent` (empty when no stall was seen).
std::string stalls_entry(const StallSummary& s, const StallPlan& plan, const MachineInfo& m,
                         const std::string& indent);
/// cpu,stall,ns: one row per stall.
std::string stalls_csv(const std::vector<CoreStalls>& cores);

}  // namespace servesim::calib
