#pragma once
/// What each replication measured, and the run condensed from them: the numbers servesim reports
/// (intervals, percentiles, utilisation, bounds, laws, warnings).

#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/confidence.h"
#include "sim/metrics/histogram.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/replication.h"

namespace servesim {

/// One window of run.interval's time series in one replication.
struct SeriesWindow {
  double start_s = 0, length_s = 0;  // from the start of the run
  std::uint64_t arrivals = 0, completed = 0;
  double in_system_mean = 0;
  double nodes_serving = 0;  // time-average
  WindowHistogram latency;   // of the requests completed in the window
};

/// A window of the time series over the replications: rates are their mean, latency percentiles
/// are of every replication's requests in the window together.
struct SeriesPoint {
  double start_s = 0, length_s = 0;
  double offered_rps = 0, throughput_rps = 0;
  double latency_mean_ms = 0, p50_ms = 0, p99_ms = 0;
  double in_system_mean = 0;
  double nodes_serving = 0;
};

/// What one replication measured inside its window (after warm-up).
struct ReplicationMetrics {
  double window_s = 0;
  std::uint64_t completed = 0, arrivals = 0, dropped = 0, rejected = 0;
  std::uint64_t in_system_begin = 0, in_system_end = 0;  // requests inside at the window's edges
  std::int64_t in_system_growth = 0;                     // in_system_end - in_system_begin
  double throughput_rps = 0;
  double latency_mean_s = 0;
  double in_system_mean = 0;  // time-average number of requests in the node (L)
  std::vector<std::uint64_t> stage_count;
  std::vector<double> stage_queue_mean_s, stage_service_mean_s, stage_utilization;
  std::vector<double> stage_input_mean_s, stage_wait_mean_s, stage_compute_mean_s,
      stage_output_mean_s;
  std::vector<double> stage_in_stage_mean;  // time-average number queued or in service
  std::vector<std::uint64_t> stage_batches;
  std::vector<double> stage_batch_busy_rate;  // instance-seconds of batches per second
  std::vector<double> stage_batch_wait_rate;  // of which waiting for the stage's device
  std::vector<double> stage_batch_mean;
  std::vector<std::vector<std::uint64_t>> stage_batch_histogram;  // [stage][size] -> batches
  std::vector<ResourceInfo> resources;                            // the model's, in its order
  std::vector<StageInfo> stages;                                  // the model's stages
  std::vector<double> resource_utilization;                       // per resource
  double energy_j = 0;                                            // all devices over the window
  std::vector<double> device_energy_j;  // per device with power figures, in resource order
  double gpu_memory_mean_bytes = 0;     // all GPUs together
  double gpu_memory_peak_bytes = 0;     // the most one GPU held (from the start of the run)
  std::vector<double> gpu_memory_peak_each_bytes;  // per GPU (ResourceInfo::gpu): the same
  double spilled_bytes = 0;
  // Triton's tensor pool: mean held (all GPUs), peak (one GPU, from the start), and the bytes
  // written to and read back from pinned host memory in the window
  double pool_mean_bytes = 0, pool_peak_bytes = 0, pool_spilled_bytes = 0, pool_reloaded_bytes = 0;
  std::uint64_t context_switches = 0;  // all GPUs in the window (compute: concurrent)
  std::uint64_t events = 0;
  LatencyHistogram latency;
  // Fan-out: children that finished in the window, and their latency from emission.
  std::uint64_t child_completed = 0;
  double child_latency_mean_s = 0;
  LatencyHistogram child_latency;
  std::vector<SeriesWindow> series;  // run.interval; empty without it
  double nodes_serving_mean = 0;     // time-average over the window
  double node_hours = 0;             // nodes booting, serving or draining, integrated
};

struct StageSummary {
  std::string name;
  StageSide side = StageSide::kServer;  // workload.client's `client` and `network` stations
  int instances = 0;                    // over all its devices
  Estimate queue_ms, service_ms;
  double input_ms = 0, wait_ms = 0, compute_ms = 0, output_ms = 0;  // service_ms by phase
  double utilization = 0;
  double batch_mean = 0;                       // requests per batch
  std::vector<std::uint64_t> batch_histogram;  // [size] -> batches, all replications
};

/// Energy per completed request by device (idle + (busy - idle) x utilisation, integrated).
struct DeviceEnergy {
  std::string device;
  double joules_per_request = 0;
};

/// A server pool in the operational-law sense: `servers` identical servers, each request
/// demanding `demand_ms` of their time in total.
struct ResourceSummary {
  std::string name;
  double servers = 0;
  double utilization = 0;
  double demand_ms = 0;         // D_r: busy time per completed request (all servers); NaN
                                // when nothing completed (unknown)
  double throughput_bound = 0;  // servers / D_r, requests per second: +inf when D_r is 0
                                // (unbounded), NaN when D_r is unknown
};

/// Little's law (L = X W) and the utilisation law (U = X S / servers), each with its residual.
struct LawCheck {
  std::string law, subject;
  double lhs = 0, rhs = 0;
  std::string unchecked;  // why this run cannot test the law (no completion...); empty if it can
  double relative_error() const;
};

struct RunSummary {
  int replications = 0;
  double window_s = 0;  // mean window length per replication
  std::uint64_t completed = 0, arrivals = 0, dropped = 0, rejected = 0, events = 0;
  Estimate throughput_rps, latency_mean_ms;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::vector<StageSummary> stages;
  std::vector<ResourceSummary> resources;
  std::string bottleneck;
  std::vector<DeviceEnergy> energy;  // empty when no device has power figures
  double energy_j_per_request = 0;
  double gpu_memory_mean_bytes = 0, gpu_memory_peak_bytes = 0, spilled_bytes = 0;
  double pool_mean_bytes = 0, pool_peak_bytes = 0, pool_spilled_bytes = 0, pool_reloaded_bytes = 0;
  double context_switches = 0;  // per replication window, all GPUs (compute: concurrent)
  double throughput_bound = 0;  // the lowest resource bound; NaN when nothing completed
  // Fan-out only (has_fanout): children finished, per request, and their latency from emission.
  bool has_fanout = false;
  std::uint64_t child_completed = 0;
  double children_per_request = 0;
  Estimate child_latency_mean_ms;
  double child_p50_ms = 0, child_p90_ms = 0, child_p95_ms = 0, child_p99_ms = 0, child_max_ms = 0;
  // cluster.autoscale only: nodes serving (time-average) and node-hours, means per replication
  bool has_autoscale = false;
  double nodes_serving_mean = 0, node_hours = 0;
  double series_interval_s = 0;     // run.interval; 0: no series
  std::vector<SeriesPoint> series;  // the windows in time order
  bool unstable = false;
  std::vector<std::string> warnings;
  std::vector<LawCheck> laws;
  std::vector<ReplicationMetrics> reps;
};

/// Condenses the replications of `params` (in replication order) into the run's summary:
/// Student-t intervals, pooled percentiles, utilisation, demands and bounds, energy, the
/// operational laws and the warnings. A pure function of its arguments: sim/run measures them.
RunSummary summarize(const ScenarioParams& params, std::vector<ReplicationMetrics> reps);

}  // namespace servesim
