#pragma once
/// One independent replication of a scenario: build the model, warm it up, measure a window.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

struct StageInfo {
  std::string name;
  int instances = 0;       // over all devices and nodes (0: the balancer's queue, a broker)
  bool per_child = false;  // after a fan-out: visited by each child, not by each request
  StageSide side = StageSide::kServer;
};

struct ReplicationResult {
  ModelCounters begin;  // at the end of warm-up
  ModelCounters end;    // at the end of the run
  std::uint64_t events = 0;
  std::vector<ResourceInfo> resources;  // what ModelCounters::resource_busy_area is about
  std::vector<StageInfo> stages;        // what the stage indices of the observer mean
  /// run.interval: the counters at each window's edge after `begin`, the last at `end`'s time
  /// (so window k runs from series[k-1], or begin, to series[k]).
  std::vector<ModelCounters> series;
};

/// Runs replication `replication` of `params`, reporting in-window events to `observer`.
/// With a tracer, spans from the start of the measurement window are reported to it.
ReplicationResult run_replication(const ScenarioParams& params, std::uint64_t replication,
                                  Observer& observer, Tracer* tracer = nullptr);

}  // namespace servesim
