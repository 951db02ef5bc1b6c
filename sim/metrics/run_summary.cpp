#include "sim/metrics/run_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "sim/core/format.h"
#include "sim/model/replication.h"

namespace servesim {

namespace {

template <class F>
Estimate over_reps(const std::vector<ReplicationMetrics>& reps, F f) {
  std::vector<double> v;
  v.reserve(reps.size());
  for (const auto& r : reps) v.push_back(f(r));
  return student_t_interval(v);
}

double mean_of(const std::vector<ReplicationMetrics>& reps, auto f) {
  double s = 0;
  for (const auto& r : reps) s += f(r);
  return reps.empty() ? 0 : s / static_cast<double>(reps.size());
}

/// The counts and the latency percentiles, pooled over the replications.
void summarize_totals(RunSummary& s) {
  LatencyHistogram all;
  for (const auto& r : s.reps) {
    s.completed += r.completed;
    s.arrivals += r.arrivals;
    s.dropped += r.dropped;
    s.rejected += r.rejected;
    s.events += r.events;
    all.merge(r.latency);
  }
  s.window_s = mean_of(s.reps, [](auto& r) { return r.window_s; });
  s.throughput_rps = over_reps(s.reps, [](auto& r) { return r.throughput_rps; });
  s.latency_mean_ms = over_reps(s.reps, [](auto& r) { return r.latency_mean_s * 1e3; });
  s.p50_ms = all.quantile(0.50) * 1e-6;
  s.p90_ms = all.quantile(0.90) * 1e-6;
  s.p95_ms = all.quantile(0.95) * 1e-6;
  s.p99_ms = all.quantile(0.99) * 1e-6;
  s.max_ms = all.quantile(1.0) * 1e-6;
}

/// run.interval's windows over the replications, window by window (a replication stopped early
/// by run.requests has fewer; each window averages those that have it).
void summarize_series(RunSummary& s, const RunParams& run) {
  s.series_interval_s = to_seconds(run.interval);
  std::size_t windows = 0;
  for (const auto& r : s.reps) windows = std::max(windows, r.series.size());
  for (std::size_t k = 0; k < windows; ++k) {
    SeriesPoint pt;
    WindowHistogram latency;
    int n = 0;
    for (const auto& r : s.reps) {
      if (k >= r.series.size()) continue;
      const SeriesWindow& w = r.series[k];
      ++n;
      pt.start_s = w.start_s;
      pt.length_s = std::max(pt.length_s, w.length_s);
      if (w.length_s > 0) {
        pt.offered_rps += static_cast<double>(w.arrivals) / w.length_s;
        pt.throughput_rps += static_cast<double>(w.completed) / w.length_s;
      }
      pt.in_system_mean += w.in_system_mean;
      pt.nodes_serving += w.nodes_serving;
      latency.merge(w.latency);
    }
    pt.offered_rps /= n;
    pt.throughput_rps /= n;
    pt.in_system_mean /= n;
    pt.nodes_serving /= n;
    if (latency.count() > 0) {
      pt.latency_mean_ms = latency.sum() / static_cast<double>(latency.count()) * 1e-6;
      pt.p50_ms = latency.quantile(0.50) * 1e-6;
      pt.p99_ms = latency.quantile(0.99) * 1e-6;
    }
    s.series.push_back(pt);
  }
}

/// The children a fan-out emitted, per request, and their latency from emission.
void summarize_fanout(RunSummary& s) {
  LatencyHistogram children;
  std::uint64_t parents = 0;
  for (const auto& r : s.reps) {
    s.child_completed += r.child_completed;
    parents += r.completed;
    children.merge(r.child_latency);
  }
  s.children_per_request =
      parents ? static_cast<double>(s.child_completed) / static_cast<double>(parents) : 0;
  s.child_latency_mean_ms = over_reps(s.reps, [](auto& r) { return r.child_latency_mean_s * 1e3; });
  s.child_p50_ms = children.quantile(0.50) * 1e-6;
  s.child_p90_ms = children.quantile(0.90) * 1e-6;
  s.child_p95_ms = children.quantile(0.95) * 1e-6;
  s.child_p99_ms = children.quantile(0.99) * 1e-6;
  s.child_max_ms = children.quantile(1.0) * 1e-6;
}

/// Each stage's queueing, service by phase, utilisation and batch sizes.
void summarize_stages(RunSummary& s) {
  const std::vector<StageInfo>& stage_info = s.reps.front().stages;
  for (std::size_t i = 0; i < stage_info.size(); ++i) {
    StageSummary st;
    st.name = stage_info[i].name;
    st.instances = stage_info[i].instances;
    st.side = stage_info[i].side;
    st.queue_ms = over_reps(s.reps, [i](auto& r) { return r.stage_queue_mean_s[i] * 1e3; });
    st.service_ms = over_reps(s.reps, [i](auto& r) { return r.stage_service_mean_s[i] * 1e3; });
    st.input_ms = mean_of(s.reps, [i](auto& r) { return r.stage_input_mean_s[i] * 1e3; });
    st.wait_ms = mean_of(s.reps, [i](auto& r) { return r.stage_wait_mean_s[i] * 1e3; });
    st.compute_ms = mean_of(s.reps, [i](auto& r) { return r.stage_compute_mean_s[i] * 1e3; });
    st.output_ms = mean_of(s.reps, [i](auto& r) { return r.stage_output_mean_s[i] * 1e3; });
    st.utilization = mean_of(s.reps, [i](auto& r) { return r.stage_utilization[i]; });
    std::uint64_t batches = 0;
    double requests = 0;
    for (const auto& r : s.reps) {
      const auto& h = r.stage_batch_histogram[i];
      if (st.batch_histogram.size() < h.size()) st.batch_histogram.resize(h.size());
      for (std::size_t z = 0; z < h.size(); ++z) {
        st.batch_histogram[z] += h[z];
        batches += h[z];
        requests += static_cast<double>(z * h[z]);
      }
    }
    st.batch_mean = batches ? requests / static_cast<double>(batches) : 0;
    s.stages.push_back(st);
  }
}

/// Each resource's utilisation, energy per request by device, GPU memory.
void summarize_resources(RunSummary& s) {
  const std::vector<ResourceInfo>& resources = s.reps.front().resources;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    s.resources.push_back(
        ResourceSummary{resources[i].name, resources[i].servers,
                        mean_of(s.reps, [i](auto& r) { return r.resource_utilization[i]; }), 0, 0});
  }
  // Energy per request, by device: joules over the window / completions, averaged over reps.
  std::size_t d = 0;
  for (const auto& info : resources) {
    if (info.device.empty() || (info.idle_w <= 0 && info.busy_w <= 0)) continue;
    const double j = mean_of(s.reps, [d](auto& r) {
      return r.completed ? r.device_energy_j[d] / static_cast<double>(r.completed) : 0.0;
    });
    s.energy.push_back(DeviceEnergy{info.device, j});
    s.energy_j_per_request += j;
    ++d;
  }
  s.gpu_memory_mean_bytes = mean_of(s.reps, [](auto& r) { return r.gpu_memory_mean_bytes; });
  s.spilled_bytes = mean_of(s.reps, [](auto& r) { return r.spilled_bytes; });
  s.pool_mean_bytes = mean_of(s.reps, [](auto& r) { return r.pool_mean_bytes; });
  s.pool_spilled_bytes = mean_of(s.reps, [](auto& r) { return r.pool_spilled_bytes; });
  s.pool_reloaded_bytes = mean_of(s.reps, [](auto& r) { return r.pool_reloaded_bytes; });
  s.context_switches =
      mean_of(s.reps, [](auto& r) { return static_cast<double>(r.context_switches); });
  for (const auto& r : s.reps) {
    s.gpu_memory_peak_bytes = std::max(s.gpu_memory_peak_bytes, r.gpu_memory_peak_bytes);
    s.pool_peak_bytes = std::max(s.pool_peak_bytes, r.pool_peak_bytes);
  }
}

/// Why the run measured nothing (no completion, an empty window), empty when it did; warned
/// about, since the run still did what was asked.
std::string unmeasured_warning(RunSummary& s) {
  std::string unmeasured;
  if (s.completed == 0)
    unmeasured = "no request completed in the measurement window";
  else if (!(s.window_s > 0))
    unmeasured = "the measurement window is empty";
  if (!unmeasured.empty())
    s.warnings.push_back(
        format("%s (%d replication(s) of %.6g s after warm-up): throughput, latency and the bounds "
               "describe nothing; check the service times and payloads, or lengthen run.duration",
               unmeasured.c_str(), s.replications, s.window_s));
  return unmeasured;
}

/// Operational laws: D_r = U_r * servers / X; the asymptotic bound is X <= min servers / D_r.
void throughput_bounds(RunSummary& s, double x) {
  const std::vector<ResourceInfo>& resources = s.reps.front().resources;
  constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  s.throughput_bound = x > 0 ? std::numeric_limits<double>::infinity() : kUnknown;
  // A stage's instances are held while their work waits for its device (kernels of other stages
  // ahead on the GPU, CPU oversubscription). That wait is the device's demand, not theirs: their
  // own demand is the time they would be held on idle devices, so the bound says what more
  // instances would buy, and a device that makes them wait is the bottleneck.
  std::vector<double> wait_rate(s.resources.size(), 0.0);
  for (std::size_t k = 0; k < resources.size(); ++k)
    if (const int i = resources[k].station; i >= 0)  // station i's instances
      wait_rate[k] = mean_of(s.reps, [i](auto& r) { return r.stage_batch_wait_rate[i]; });
  for (std::size_t k = 0; k < s.resources.size(); ++k) {
    auto& r = s.resources[k];
    const double busy = std::max(0.0, r.utilization * r.servers - wait_rate[k]);
    if (!(x > 0)) {  // demand per request is busy time / completions: unknown without any
      r.demand_ms = r.throughput_bound = kUnknown;
      continue;
    }
    r.demand_ms = busy / x * 1e3;
    r.throughput_bound = r.demand_ms > 0 ? r.servers / (r.demand_ms * 1e-3)
                                         : std::numeric_limits<double>::infinity();
    s.throughput_bound = std::min(s.throughput_bound, r.throughput_bound);
  }
}

/// A stage's instances are busy while they wait for the device their work runs on, so when a
/// device and a stage's instances tie, the device is the bottleneck: more instances would not
/// help, a faster device would. Ties are within 1e-3, the resolution of the utilisations the
/// bound is computed from over replications of a few thousand batches.
void find_bottleneck(RunSummary& s, double x) {
  const std::vector<ResourceInfo>& resources = s.reps.front().resources;
  for (int pass = 0; pass < 2 && s.bottleneck.empty() && x > 0; ++pass)
    for (std::size_t k = 0; k < s.resources.size(); ++k) {
      const auto& r = s.resources[k];
      const bool is_stage = resources[k].station >= 0;  // a stage's instances
      if ((pass == 1 || !is_stage) && r.throughput_bound <= s.throughput_bound * (1 + 1e-3)) {
        s.bottleneck = r.name;
        break;
      }
    }
}

/// Little's law for the node and each stage; the utilisation law for each stage's workers. A
/// law this run cannot test says why rather than report a residual of numbers that mean nothing.
void check_laws(RunSummary& s, double x, const std::string& unmeasured) {
  const auto law = [&s, &unmeasured](const char* name, const std::string& subject, double lhs,
                                     double rhs) {
    std::string why = unmeasured;
    if (why.empty() && !(std::isfinite(lhs) && std::isfinite(rhs))) why = "a value is not finite";
    s.laws.push_back({name, subject, lhs, rhs, why});
  };
  const double w_s = mean_of(s.reps, [](auto& r) { return r.latency_mean_s; });
  law("little", "node", mean_of(s.reps, [](auto& r) { return r.in_system_mean; }), x * w_s);
  // Forced flow: the stages after a fan-out stage (its broker included) see each request's
  // children, so their throughput is X times the children per request.
  const std::vector<StageInfo>& stage_info = s.reps.front().stages;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const double in_stage = mean_of(s.reps, [i](auto& r) { return r.stage_in_stage_mean[i]; });
    const double resid = (s.stages[i].queue_ms.mean + s.stages[i].service_ms.mean) * 1e-3;
    const double visits = stage_info[i].per_child ? s.children_per_request : 1.0;
    law("little", s.stages[i].name, in_stage, x * visits * resid);
    // Utilisation law per instance: U = X_batches S_batch / instances, where the batch
    // throughput and mean batch time come from the spans the stage reported, and U from its
    // time-integrated busy count: two accounts of the same time that must agree.
    if (s.stages[i].instances == 0) continue;  // the balancer's queue has no servers
    const double busy_rate = mean_of(s.reps, [i](auto& r) { return r.stage_batch_busy_rate[i]; });
    law("utilization", s.stages[i].name, s.stages[i].utilization,
        busy_rate / s.stages[i].instances);
  }
}

/// Stability of an open workload: refused arrivals, an offered load at or beyond the bound,
/// or a backlog that grew by more than 2% of the window's arrivals (and by at least 100).
void check_stability(RunSummary& s, const ScenarioParams& p) {
  if (p.workload.mode != WorkloadMode::kOpen) return;
  if (s.dropped > 0) {
    s.unstable = true;
    s.warnings.push_back(format(
        "run.max_in_system (%llu requests) was reached: %llu arrivals were dropped, so latency "
        "and throughput describe an overloaded node; lower workload.rate or add capacity",
        static_cast<unsigned long long>(p.run.max_in_system),
        static_cast<unsigned long long>(s.dropped)));
  }
  if (const auto& sc = p.workload.schedule) {
    // A schedule is not a steady state: its peak above the bound is a what-if, not a mistake.
    const double peak = p.workload.rate_per_s * sc->peak();
    const double last = p.workload.rate_per_s * sc->factor.back();
    if (last >= s.throughput_bound) {
      s.unstable = true;
      s.warnings.push_back(
          format("the schedule ends at an offered load of %.6g/s, at or above the throughput "
                 "bound %.6g/s of %s: the backlog grows to the end of the run",
                 last, s.throughput_bound, s.bottleneck.c_str()));
    } else if (peak >= s.throughput_bound)
      s.warnings.push_back(
          format("the schedule's peak offered load %.6g/s is at or above the throughput bound "
                 "%.6g/s of %s: a backlog builds while it lasts",
                 peak, s.throughput_bound, s.bottleneck.c_str()));
  } else if (p.workload.rate_per_s >= s.throughput_bound) {
    s.unstable = true;
    s.warnings.push_back(
        format("offered load %.6g/s is at or above the throughput bound %.6g/s of %s",
               p.workload.rate_per_s, s.throughput_bound, s.bottleneck.c_str()));
  }
  for (const auto& r : s.reps) {
    const double limit = std::max(100.0, 0.02 * static_cast<double>(r.arrivals));
    if (static_cast<double>(r.in_system_growth) > limit) {
      s.unstable = true;
      s.warnings.push_back(
          format("the backlog grew by %lld requests during a replication's window: "
                 "the queue is growing without bound",
                 static_cast<long long>(r.in_system_growth)));
      break;
    }
  }
}

}  // namespace

double LawCheck::relative_error() const {
  const double scale = std::max(std::abs(lhs), std::abs(rhs));
  return scale > 0 ? std::abs(lhs - rhs) / scale : 0.0;
}

RunSummary summarize(const ScenarioParams& p, std::vector<ReplicationMetrics> reps) {
  RunSummary s;
  s.replications = p.run.replications;
  s.reps = std::move(reps);
  summarize_totals(s);
  s.has_fanout = fanout_stage(p) != kNoFanout;
  if (s.has_fanout) summarize_fanout(s);
  if (p.run.interval > 0) summarize_series(s, p.run);
  if (p.cluster.autoscale) {
    s.has_autoscale = true;
    for (const auto& r : s.reps) {
      s.nodes_serving_mean += r.nodes_serving_mean / static_cast<double>(s.reps.size());
      s.node_hours += r.node_hours / static_cast<double>(s.reps.size());
    }
  }
  const double x = s.throughput_rps.mean;
  summarize_stages(s);
  summarize_resources(s);
  const std::string unmeasured = unmeasured_warning(s);
  throughput_bounds(s, x);
  find_bottleneck(s, x);
  check_laws(s, x, unmeasured);
  check_stability(s, p);
  return s;
}

}  // namespace servesim
