#include "sim/run/replications.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "sim/core/worker_threads.h"
#include "sim/metrics/histogram.h"
#include "sim/metrics/report.h"
#include "sim/model/observer.h"
#include "sim/model/replication.h"
#include "sim/scenario/scenario.h"

namespace servesim {

namespace {

/// Records what the model reports during one replication: latencies, stage spans, batches.
class Collector final : public Observer {
 public:
  explicit Collector(std::size_t stages)
      : count_(stages),
        queue_sum_(stages),
        input_sum_(stages),
        wait_sum_(stages),
        compute_sum_(stages),
        output_sum_(stages),
        batches_(stages),
        batch_busy_(stages),
        batch_wait_(stages),
        batch_sizes_(stages) {}
  void request_done(Time latency) override {
    latency_.record(latency);
    if (!windows_.empty()) windows_.back().record(latency);
  }
  void series_tick() override { windows_.emplace_back(); }
  void child_done(Time latency) override { child_latency_.record(latency); }
  void stage_done(std::uint32_t s, const StageSpan& span) override {
    ++count_[s];
    queue_sum_[s] += static_cast<double>(span.queue);
    input_sum_[s] += static_cast<double>(span.input);
    wait_sum_[s] += static_cast<double>(span.wait);
    compute_sum_[s] += static_cast<double>(span.compute);
    output_sum_[s] += static_cast<double>(span.output);
  }
  void batch_done(std::uint32_t s, std::size_t size, const StageSpan& span) override {
    ++batches_[s];
    batch_busy_[s] += static_cast<double>(span.service());
    batch_wait_[s] += static_cast<double>(span.wait);
    auto& h = batch_sizes_[s];
    if (h.size() <= size) h.resize(size + 1);
    ++h[size];
  }

  LatencyHistogram latency_, child_latency_;
  std::vector<WindowHistogram> windows_;  // run.interval: the latencies of each window so far
  std::vector<std::uint64_t> count_;
  std::vector<double> queue_sum_, input_sum_, wait_sum_, compute_sum_, output_sum_;  // ns
  std::vector<std::uint64_t> batches_;
  std::vector<double> batch_busy_;  // ns: the instance time the stage's batches took
  std::vector<double> batch_wait_;  // ns: of which waiting for the stage's device
  std::vector<std::vector<std::uint64_t>> batch_sizes_;
};

/// Replication `rep`, run with a Collector, and the differences of its counters over the window.
ReplicationMetrics measure(const ScenarioParams& p, std::uint64_t rep, Tracer* tracer) {
  const std::size_t n = reported_stages(p);
  Collector c(n);
  if (p.run.interval > 0) c.windows_.emplace_back();
  ReplicationResult r = run_replication(p, rep, c, tracer);
  const ModelCounters& a = r.begin;
  const ModelCounters& b = r.end;
  ReplicationMetrics m;
  const double window_ns = static_cast<double>(b.now - a.now);
  m.window_s = window_ns * 1e-9;
  m.completed = b.completions - a.completions;
  m.arrivals = b.arrivals - a.arrivals;
  m.dropped = b.dropped - a.dropped;
  m.rejected = b.rejected - a.rejected;
  m.in_system_begin = a.in_system;
  m.in_system_end = b.in_system;
  m.in_system_growth =
      static_cast<std::int64_t>(b.in_system) - static_cast<std::int64_t>(a.in_system);
  m.events = r.events;
  const double safe_window = window_ns > 0 ? window_ns : 1.0;
  m.throughput_rps = static_cast<double>(m.completed) / (safe_window * 1e-9);
  m.latency_mean_s =
      c.latency_.count() ? c.latency_.sum() / static_cast<double>(c.latency_.count()) * 1e-9 : 0;
  m.in_system_mean = (b.in_system_area - a.in_system_area) / safe_window;
  for (std::size_t s = 0; s < n; ++s) {
    const double k = static_cast<double>(std::max<std::uint64_t>(c.count_[s], 1));
    m.stage_count.push_back(c.count_[s]);
    m.stage_queue_mean_s.push_back(c.queue_sum_[s] / k * 1e-9);
    m.stage_input_mean_s.push_back(c.input_sum_[s] / k * 1e-9);
    m.stage_wait_mean_s.push_back(c.wait_sum_[s] / k * 1e-9);
    m.stage_compute_mean_s.push_back(c.compute_sum_[s] / k * 1e-9);
    m.stage_output_mean_s.push_back(c.output_sum_[s] / k * 1e-9);
    m.stage_service_mean_s.push_back(
        (c.input_sum_[s] + c.wait_sum_[s] + c.compute_sum_[s] + c.output_sum_[s]) / k * 1e-9);
    const int servers = r.stages[s].instances;
    m.stage_utilization.push_back(
        servers > 0 ? (b.stage_busy_area[s] - a.stage_busy_area[s]) / (safe_window * servers) : 0);
    m.stage_in_stage_mean.push_back((b.stage_in_stage_area[s] - a.stage_in_stage_area[s]) /
                                    safe_window);
    m.stage_batches.push_back(c.batches_[s]);
    m.stage_batch_busy_rate.push_back(c.batch_busy_[s] / safe_window);
    m.stage_batch_wait_rate.push_back(c.batch_wait_[s] / safe_window);
    double sum = 0;
    for (std::size_t z = 0; z < c.batch_sizes_[s].size(); ++z)
      sum += static_cast<double>(z * c.batch_sizes_[s][z]);
    m.stage_batch_mean.push_back(c.batches_[s] ? sum / static_cast<double>(c.batches_[s]) : 0);
    m.stage_batch_histogram.push_back(c.batch_sizes_[s]);
  }
  for (std::size_t i = 0; i < r.resources.size(); ++i) {
    const ResourceInfo& info = r.resources[i];
    const double busy = b.resource_busy_area[i] - a.resource_busy_area[i];
    const double u = busy / (safe_window * info.servers);
    m.resource_utilization.push_back(u);
    if (!info.device.empty() && (info.idle_w > 0 || info.busy_w > 0)) {
      double joules = (info.idle_w + (info.busy_w - info.idle_w) * u) * m.window_s;
      if (info.gpu >= 0)  // stages with their own busy_power: 0 unless a stage sets one
        joules += b.gpu_kernel_energy_j[info.gpu] - a.gpu_kernel_energy_j[info.gpu];
      m.device_energy_j.push_back(joules);
      m.energy_j += joules;
    }
  }
  m.gpu_memory_mean_bytes = (b.gpu_memory_area - a.gpu_memory_area) / safe_window;
  m.spilled_bytes = b.spilled_bytes - a.spilled_bytes;
  m.gpu_memory_peak_bytes = b.gpu_memory_peak;
  m.gpu_memory_peak_each_bytes = b.gpu_memory_peak_each;
  m.pool_mean_bytes = (b.pool_area - a.pool_area) / safe_window;
  m.pool_peak_bytes = b.pool_peak;
  m.pool_spilled_bytes = b.pool_spilled_bytes - a.pool_spilled_bytes;
  m.pool_reloaded_bytes = b.pool_reloaded_bytes - a.pool_reloaded_bytes;
  m.context_switches = b.context_switches - a.context_switches;
  m.latency = c.latency_;
  m.child_completed = b.child_completions - a.child_completions;
  m.child_latency = c.child_latency_;
  m.child_latency_mean_s =
      c.child_latency_.count()
          ? c.child_latency_.sum() / static_cast<double>(c.child_latency_.count()) * 1e-9
          : 0;
  m.resources = r.resources;
  m.stages = r.stages;
  m.nodes_serving_mean = (b.nodes_serving_area - a.nodes_serving_area) / safe_window;
  m.node_hours = (b.nodes_billed_area - a.nodes_billed_area) / (3600 * 1e9);
  const ModelCounters* from = &a;
  for (std::size_t k = 0; k < r.series.size() && k < c.windows_.size(); ++k) {
    const ModelCounters& to = r.series[k];
    if (to.now == from->now) continue;  // run.requests stopped the run on a window's edge
    SeriesWindow w;
    w.start_s = to_seconds(from->now);
    w.length_s = to_seconds(to.now - from->now);
    // Offered: every arrival, those dropped at run.max_in_system included.
    w.arrivals = to.arrivals - from->arrivals + (to.dropped - from->dropped);
    w.completed = to.completions - from->completions;
    {
      const auto span = static_cast<double>(to.now - from->now);
      w.in_system_mean = (to.in_system_area - from->in_system_area) / span;
      w.nodes_serving = (to.nodes_serving_area - from->nodes_serving_area) / span;
    }
    w.latency = std::move(c.windows_[k]);
    m.series.push_back(std::move(w));
    from = &to;
  }
  return m;
}

}  // namespace

RunSummary run_scenario(const ScenarioParams& p, int threads, Tracer* tracer,
                        const std::function<void(std::size_t done, std::size_t total)>& progress) {
  const auto reps = static_cast<std::size_t>(p.run.replications);
  std::vector<ReplicationMetrics> measured(reps);
  // Each replication owns its model and random streams and writes only its own slot, so the
  // result is the same for any thread count.
  std::atomic<std::size_t> next{0}, done{0};
  std::vector<std::exception_ptr> failed(reps);  // rethrown on the calling thread
  auto worker = [&] {
    for (std::size_t i; (i = next++) < reps;) {
      try {
        measured[i] = measure(p, i, i == 0 ? tracer : nullptr);
      } catch (...) {
        failed[i] = std::current_exception();
      }
      const std::size_t finished = ++done;
      if (progress) progress(finished, reps);
    }
  };
  const auto nthreads =
      static_cast<std::size_t>(std::clamp<int>(threads, 1, static_cast<int>(reps)));
  // The calling thread is a worker too, so a system that refuses every extra thread still
  // finishes the run; the result does not depend on how many started.
  WorkerThreads pool = start_workers(nthreads - 1, worker);
  if (!pool.refused().empty())
    std::cerr << "servesim: warning: could not start more threads (" << pool.refused()
              << "): running the replications on " << pool.size() + 1 << " thread(s) of the "
              << nthreads << " asked for\n";
  worker();
  pool.join();
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
  return summarize(p, std::move(measured));
}

nlohmann::ordered_json result_json(const ScenarioParams& params, const RunSummary& s,
                                   const UncertaintySummary* u) {
  return summary_json(s, resolved_config(params), u);
}

}  // namespace servesim
