#pragma once
/// Typed, validated parameters of a scenario: what config/ produces and model/ consumes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/time.h"

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

struct WorkloadParams {
  WorkloadMode mode = WorkloadMode::kOpen;
  // open (perf_analyzer --request-rate-range, MLPerf Server)
  double rate_per_s = 0.0;
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  double cv = 1.0;  // of inter-arrival times, gamma only
  // closed (perf_analyzer --concurrency-range, MLPerf SingleStream at 1)
  int concurrency = 0;
  std::optional<Distribution> think_time;  // ns; none: next request sent on response
};

struct CpuParams {
  int cores = 0;
  double speed = 1.0;  // relative to the machine the service times were measured on
};

struct NodeParams {
  CpuParams cpu;
};

enum class Device { kCpu };

struct StageParams {
  std::string name;
  Device device = Device::kCpu;
  int instances = 1;     // workers that each serve one request at a time
  Distribution service;  // work in ns at speed 1
};

struct ScenarioParams {
  std::uint64_t seed = 1;
  RunParams run;
  WorkloadParams workload;
  NodeParams node;
  std::vector<StageParams> pipeline;
};

}  // namespace servesim
