#pragma once
/// One independent replication of a scenario: build the model, warm it up, measure a window.

#include <cstdint>
#include <vector>

#include "sim/model/observer.h"
#include "sim/model/params.h"

namespace servesim {

struct ReplicationResult {
  ModelCounters begin;  // at the end of warm-up
  ModelCounters end;    // at the end of the run
  std::uint64_t events = 0;
  std::vector<ResourceInfo> resources;  // what ModelCounters::resource_busy_area is about
};

/// Runs replication `replication` of `params`, reporting in-window events to `observer`.
ReplicationResult run_replication(const ScenarioParams& params, std::uint64_t replication,
                                  Observer& observer);

}  // namespace servesim
