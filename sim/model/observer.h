#pragma once
/// What a running model reports, so that metrics/ can measure it without model/ knowing how.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

/// A pool of identical servers in the operational-law sense (CPU cores, a GPU's compute engine,
/// its NVJPG engines, a PCIe link, a stage's instances).
struct ResourceInfo {
  std::string name;
  double servers = 1;
  std::string device;  // for energy: "cpu", "gpu0", ...; empty: not a device's main engine
  double idle_w = 0, busy_w = 0;
  /// A stage's instances: the station (Stations) whose instances these are; -1: not a stage's.
  /// Reports find a stage's resource by this, never by its name.
  int station = -1;
  /// A GPU's compute engine: its index in ModelCounters::gpu_kernel_energy_j; -1: none.
  int gpu = -1;
  /// A GPU's compute engine: its device's memory and what weights and workspaces take of it
  /// (node.gpus.memory, reserved_memory; bytes, 0: not given).
  double memory_bytes = 0,
         reserved_bytes = 0;  // reserved: node.gpus.reserved_memory and the frameworks'
};

/// Cumulative counters read at the start and end of the measurement window; metrics/ takes
/// differences. Areas are time integrals in (count x ns) from time 0.
struct ModelCounters {
  Time now = 0;
  std::uint64_t arrivals = 0;  // requests that entered the system
  std::uint64_t dropped = 0;   // arrivals refused because run.max_in_system was reached
  std::uint64_t rejected = 0;  // refused by a stage (batcher queue full or timed out)
  std::uint64_t completions = 0;
  std::uint64_t children_emitted = 0;       // fan-out: children a fan-out stage produced
  std::uint64_t child_completions = 0;      // fan-out: children that left the last stage
  std::uint64_t children_inside = 0;        // fan-out: children in the broker or child stages now
  std::uint64_t in_system = 0;              // requests inside at this instant
  double in_system_area = 0.0;              // integral of requests in system
  std::vector<double> stage_busy_area;      // per stage: busy instances
  std::vector<double> stage_in_stage_area;  // per stage: requests queued or in service
  std::vector<double> resource_busy_area;   // per Node::resources() entry: busy servers
  double gpu_memory_area = 0.0;             // all GPUs: bytes held by requests
  double gpu_memory_peak = 0.0;             // the most any one GPU held since the start
  /// per GPU of a node (the most over a cluster's nodes): the most it held since the start
  std::vector<double> gpu_memory_peak_each;
  double spilled_bytes = 0.0;  // all GPUs: bytes evicted to host
  // Triton's tensor pool (node.gpus.cuda_memory_pool_byte_size), all GPUs unless said
  double pool_area = 0.0;              // bytes held
  double pool_peak = 0.0;              // the most any one GPU's pool held since the start
  double pool_spilled_bytes = 0.0;     // written to pinned host memory for want of room
  double pool_reloaded_bytes = 0.0;    // read back from it by the next GPU stage
  std::uint64_t context_switches = 0;  // all GPUs, compute: concurrent: changes of process
  /// per GPU of a node (summed over a cluster's nodes): kernels' energy beyond busy_power (J),
  /// from stages with their own busy_power (Gpu::kernel_energy_j)
  std::vector<double> gpu_kernel_energy_j;
  // The cluster's nodes (cluster.autoscale moves them; otherwise all serve throughout)
  int nodes_serving = 0;            // receiving requests now
  double nodes_serving_area = 0.0;  // integral of nodes_serving
  double nodes_billed_area = 0.0;   // integral of nodes booting, serving or still draining
};

/// Where a request's time in one stage went (perf_analyzer's Server Queue / Compute Input /
/// Compute Infer / Compute Output).
struct StageSpan {
  Time queue = 0;    // waiting for an instance (and for its batch to form)
  Time input = 0;    // moving its payload to the stage's device (and waiting for GPU memory)
  Time wait = 0;     // waiting for its device: other stages' kernels ahead on a GPU's engine,
                     // or more work than cores on the CPU (the slowdown of processor sharing)
  Time compute = 0;  // CPU and device work, as long as it takes on an otherwise idle device
  Time output = 0;   // moving the result back to the host
  Time service() const { return input + wait + compute + output; }
};

class Observer {
 public:
  /// A request finished; called only inside the measurement window.
  virtual void request_done(Time latency) = 0;
  /// A request left stage `stage`; called only inside the measurement window.
  virtual void stage_done(std::uint32_t stage, const StageSpan& span) = 0;
  /// A stage instance finished a batch of `size` requests (1 for unbatched stages); `span` is how
  /// the batch held the instance (its queue field is 0).
  virtual void batch_done(std::uint32_t stage, std::size_t size, const StageSpan& span) = 0;
  /// Fan-out: a child finished, `latency` after its parent emitted it; inside the window only.
  virtual void child_done(Time /*latency*/) {}
  /// run.interval: a window of the time series ended; what is reported next is the next one's.
  virtual void series_tick() {}

 protected:
  ~Observer() = default;
};

}  // namespace servesim
