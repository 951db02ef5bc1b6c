#include "sim/model/replication.h"

#include "sim/core/simulator.h"
#include "sim/model/cluster.h"
#include "sim/model/workload.h"

namespace servesim {

namespace {

/// run.interval: at each window's edge, the counters and a tick to the observer.
class SeriesSampler final : public EventHandler {
 public:
  SeriesSampler(Simulator& sim, const Cluster& cluster, Observer& observer, Time interval, Time end,
                std::vector<ModelCounters>& out)
      : sim_(sim),
        cluster_(cluster),
        observer_(observer),
        interval_(interval),
        end_(end),
        out_(out) {}
  /// From the window's opening: the first edge one interval later.
  void start() { next(); }
  void on_event(std::uint32_t /*kind*/, std::uint64_t /*arg*/) override {
    out_.push_back(cluster_.counters());
    observer_.series_tick();
    next();
  }

 private:
  void next() {
    // The last window ends with the run (its counters are the result's `end`).
    if (sim_.now() < end_ - interval_) sim_.schedule_in(interval_, *this, 0);
  }
  Simulator& sim_;
  const Cluster& cluster_;
  Observer& observer_;
  Time interval_, end_;
  std::vector<ModelCounters>& out_;
};

}  // namespace

ReplicationResult run_replication(const ScenarioParams& params, std::uint64_t replication,
                                  Observer& observer, Tracer* tracer) {
  Simulator sim;
  Cluster cluster(sim, params, replication);
  Workload workload(sim, cluster, params.workload, params.seed, replication);
  ReplicationResult result;
  SeriesSampler sampler(sim, cluster, observer, params.run.interval, params.run.duration,
                        result.series);
  auto open_window = [&] {
    result.begin = cluster.counters();
    cluster.open_window(&observer, params.run.requests);
    cluster.set_tracer(tracer);
    if (params.run.interval > 0) sampler.start();
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
  if (params.run.interval > 0) result.series.push_back(result.end);
  result.events = sim.events_processed();
  result.resources = cluster.resources();
  for (const Station& st : cluster.stations())
    result.stages.push_back({st.name, st.instances * cluster.nodes(), st.per_child, st.side});
  return result;
}

}  // namespace servesim
