#include "sim/model/replication.h"

#include "sim/core/simulator.h"
#include "sim/model/cluster.h"
#include "sim/model/workload.h"

namespace servesim {

ReplicationResult run_replication(const ScenarioParams& params, std::uint64_t replication,
                                  Observer& observer, Tracer* tracer) {
  Simulator sim;
  Cluster cluster(sim, params, replication);
  Workload workload(sim, cluster, params.workload, params.seed, replication);
  ReplicationResult result;
  auto open_window = [&] {
    result.begin = cluster.counters();
    cluster.open_window(&observer, params.run.requests);
    cluster.set_tracer(tracer);
  };
  // Without warm-up the window opens before the first request, so the requests sent at t = 0
  // (a closed loop's whole population) are counted as arrivals of the window.
  if (params.run.warmup == 0) open_window();
  workload.start();
  if (params.run.warmup > 0) {
    sim.run_until(params.run.warmup);
    open_window();
  }
  sim.run_until(params.run.duration > 0 ? params.run.duration : kTimeMax);
  result.end = cluster.counters();
  result.events = sim.events_processed();
  result.resources = cluster.resources();
  for (const Station& st : cluster.stations())
    result.stages.push_back({st.name, st.instances * cluster.nodes(), st.per_child, st.side});
  return result;
}

}  // namespace servesim
