#include "sim/model/replication.h"

#include "sim/core/simulator.h"
#include "sim/model/node.h"
#include "sim/model/workload.h"

namespace servesim {

ReplicationResult run_replication(const ScenarioParams& params, std::uint64_t replication,
                                  Observer& observer) {
  Simulator sim;
  Node node(sim, params, replication);
  Workload workload(sim, node, params.workload, params.seed, replication);
  workload.start();

  ReplicationResult result;
  sim.run_until(params.run.warmup);
  result.begin = node.counters();
  node.open_window(&observer, params.run.requests);
  sim.run_until(params.run.duration > 0 ? params.run.duration : kTimeMax);
  result.end = node.counters();
  result.events = sim.events_processed();
  return result;
}

}  // namespace servesim
