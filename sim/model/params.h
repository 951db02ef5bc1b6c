#pragma once
/// Typed, validated parameters of a scenario: what config/ produces and model/ consumes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/time.h"
#include "sim/curves/curve.h"
#include "sim/model/batcher.h"

namespace servesim {

struct RunParams {
  Time duration = 0;           // simulated time per replication, including warm-up (0: unset)
  std::uint64_t requests = 0;  // or: stop after this many completions past warm-up (0: unset)
  Time warmup = 0;             // statistics before this are discarded
  int replications = 1;        // independent replications (different random streams)
  std::uint64_t max_in_system = 1'000'000;  // cap on requests held; arrivals beyond it are dropped
};

enum class WorkloadMode { kOpen, kClosed };
enum class ArrivalProcess { kPoisson, kConstant, kGamma };

/// One kind of image a client sends: its size and its compressed (JPEG) size.
struct ImageParams {
  std::string name;
  int width = 0, height = 0;
  double bytes = 0;   // compressed
  double weight = 1;  // relative frequency in the mix
};

struct WorkloadParams {
  WorkloadMode mode = WorkloadMode::kOpen;
  // open (perf_analyzer --request-rate-range, MLPerf Server)
  double rate_per_s = 0.0;
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  double cv = 1.0;  // of inter-arrival times, gamma only
  // closed (perf_analyzer --concurrency-range, MLPerf SingleStream at 1)
  int concurrency = 0;
  std::optional<Distribution> think_time;  // ns; none: next request sent on response
  // The image mix; empty: requests carry no payload (a plain queueing model).
  std::vector<ImageParams> images;
};

struct PowerParams {
  double idle_w = 0, busy_w = 0;  // 0/0: energy not reported for the device
};

struct CpuParams {
  int cores = 0;
  double speed = 1.0;  // relative to the machine the service times were measured on
  PowerParams power;
};

enum class GpuCompute { kExclusive, kShared };
enum class MemoryPolicy { kBlock, kSpill };

struct GpuParams {
  int count = 0;
  std::string type;
  double memory_bytes = 0;    // capacity for request tensors; 0: unlimited
  double reserved_bytes = 0;  // taken by weights and workspaces before any request
  MemoryPolicy memory_policy = MemoryPolicy::kBlock;
  GpuCompute compute = GpuCompute::kExclusive;
  int nvjpg_engines = 0;
  int h2d_engines = 1, d2h_engines = 1;  // DMA copy engines per direction
  double speed = 1.0;
  PowerParams power;
};

struct LinkParams {
  double bytes_per_s = 0;
  Time latency = 0;
};

struct PcieParams {
  LinkParams host_link;  // the shared root complex / switch uplink, per direction
  LinkParams gpu_link;   // each GPU's own link, per direction
};

struct NodeParams {
  CpuParams cpu;
  GpuParams gpus;
  PcieParams pcie;
};

enum class Device { kCpu, kGpu, kNvjpg, kPcie };

/// A service time: a curve of (batch, pixels, bytes) or a distribution, in ns at speed 1.
struct ServiceParams {
  std::optional<Curve> curve;
  std::string curve_name;
  Distribution dist = Distribution::make(DistKind::kDeterministic, 0, 0);
  double mean_hint_ns() const { return curve ? curve->mean_ns(CurveArgs{}) : dist.mean(); }
};

/// What a stage makes of the payload it consumed.
struct OutputParams {
  enum class Kind { kSame, kRaw, kTensor, kBytes, kPerPixel } kind = Kind::kSame;
  int width = 0, height = 0, channels = 3;
  int element_bytes = 1;  // dtype size
  std::string dtype = "uint8";
  double bytes = 0;            // kBytes
  double bytes_per_pixel = 0;  // kPerPixel: e.g. the DCT coefficients of entropy decoding
};

enum class Direction { kToGpu, kToHost };

struct StageParams {
  std::string name;
  Device device = Device::kCpu;
  int instances = 1;  // cpu: workers on the node; gpu/nvjpg: per GPU (Triton's instance_group)
  ServiceParams service;
  std::optional<ServiceParams> cpu_service;  // a GPU stage's CPU part, run before the GPU part
  std::optional<BatchingParams> batching;
  OutputParams output;
  Direction direction = Direction::kToGpu;  // device: pcie only
  double speedup = 1.0;  // what-if: service (and cpu_service) times divided by this
};

enum class BalancerPolicy { kRoundRobin, kRandom, kLeastOutstanding, kPowerOfTwo };

/// K identical nodes behind a load balancer that caps each node's outstanding requests.
struct ClusterParams {
  int nodes = 1;
  BalancerPolicy policy = BalancerPolicy::kRoundRobin;
  std::uint64_t max_outstanding_per_node = 0;  // 0: no cap (the balancer never holds requests)
};

struct ScenarioParams {
  std::uint64_t seed = 1;
  RunParams run;
  WorkloadParams workload;
  ClusterParams cluster;
  NodeParams node;
  std::vector<StageParams> pipeline;
};

/// With a per-node cap, the balancer's queue is reported as a stage, first, before the pipeline.
inline bool has_balancer_stage(const ScenarioParams& p) {
  return p.cluster.max_outstanding_per_node > 0;
}
inline std::size_t reported_stages(const ScenarioParams& p) {
  return p.pipeline.size() + (has_balancer_stage(p) ? 1 : 0);
}

}  // namespace servesim
