#pragma once
/// Runs a scenario's replications and condenses them into the numbers servesim reports.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/confidence.h"
#include "sim/metrics/histogram.h"
#include "sim/model/params.h"

namespace servesim {

/// What one replication measured inside its window (after warm-up).
struct ReplicationMetrics {
  double window_s = 0;
  std::uint64_t completed = 0, arrivals = 0, dropped = 0;
  std::uint64_t in_system_begin = 0, in_system_end = 0;  // requests inside at the window's edges
  std::int64_t in_system_growth = 0;                     // in_system_end - in_system_begin
  double throughput_rps = 0;
  double latency_mean_s = 0;
  double in_system_mean = 0;  // time-average number of requests in the node (L)
  std::vector<std::uint64_t> stage_count;
  std::vector<double> stage_queue_mean_s, stage_service_mean_s, stage_utilization;
  std::vector<double> stage_in_stage_mean;  // time-average number queued or in service
  double cpu_utilization = 0;
  std::uint64_t events = 0;
  LatencyHistogram latency;
};

struct StageSummary {
  std::string name;
  int instances = 0;
  Estimate queue_ms, service_ms;
  double utilization = 0;
};

/// A server pool in the operational-law sense: `servers` identical servers, each request
/// demanding `demand_ms` of their time in total.
struct ResourceSummary {
  std::string name;
  double servers = 0;
  double utilization = 0;
  double demand_ms = 0;         // D_r: busy time per completed request (all servers)
  double throughput_bound = 0;  // servers / D_r, requests per second
};

/// Little's law (L = X W) and the utilisation law (U = X S / servers), each with its residual.
struct LawCheck {
  std::string law, subject;
  double lhs = 0, rhs = 0;
  double relative_error() const;
};

struct RunSummary {
  int replications = 0;
  double window_s = 0;  // mean window length per replication
  std::uint64_t completed = 0, arrivals = 0, dropped = 0, events = 0;
  Estimate throughput_rps, latency_mean_ms;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::vector<StageSummary> stages;
  std::vector<ResourceSummary> resources;
  std::string bottleneck;
  double throughput_bound = 0;
  bool unstable = false;
  std::vector<std::string> warnings;
  std::vector<LawCheck> laws;
  std::vector<ReplicationMetrics> reps;
};

/// Runs every replication (on up to `threads` threads; the result does not depend on it).
RunSummary run_scenario(const ScenarioParams& params, int threads = 1);

}  // namespace servesim
