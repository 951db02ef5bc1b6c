#include "sim/metrics/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sim/config/csv.h"
#include "sim/core/format.h"

namespace servesim {

namespace {

// Rounded to 6 significant digits so the JSON stays readable; still byte-identical run to run.
double r6(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}

/// A value that may be unknown (NaN: nothing completed) or unbounded (inf): null in JSON, which
/// has neither, written so explicitly that the document in memory reads as its text does.
nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(r6(v)) : nlohmann::ordered_json();
}

nlohmann::ordered_json interval(const Estimate& e) { return {r6(e.lo), r6(e.hi)}; }

nlohmann::ordered_json batch_json(const StageSummary& st) {
  // histogram: batches of each size from 1 up to the largest seen, in order.
  auto h = nlohmann::ordered_json::array();
  for (std::size_t z = 1; z < st.batch_histogram.size(); ++z) h.push_back(st.batch_histogram[z]);
  return {{"mean", r6(st.batch_mean)}, {"histogram", h}};
}

nlohmann::ordered_json spread_json(const Spread& s) {
  return {{"p5", r6(s.p5)}, {"p50", r6(s.p50)}, {"p95", r6(s.p95)}};
}

}  // namespace

nlohmann::ordered_json uncertainty_json(const UncertaintySummary& u) {
  using J = nlohmann::ordered_json;
  J curves = J::array();
  for (const UncertaintyBand& b : u.bands)
    curves.push_back({{"name", b.curve}, {"low", b.low}, {"high", b.high}, {"source", b.source}});
  J samples = J::array();
  for (const UncertaintyDraw& d : u.draws) {
    J factors = J::object();
    for (std::size_t i = 0; i < u.bands.size(); ++i) factors[u.bands[i].curve] = d.factors[i];
    samples.push_back({{"factors", factors},
                       {"throughput_rps", r6(d.throughput_rps)},
                       {"latency_ms",
                        {{"mean", r6(d.latency_mean_ms)},
                         {"p50", r6(d.p50_ms)},
                         {"p95", r6(d.p95_ms)},
                         {"p99", r6(d.p99_ms)}}},
                       {"unstable", d.unstable}});
  }
  return {{"draws", u.draws.size()},
          {"curves", curves},
          {"throughput_rps", spread_json(u.throughput_rps)},
          {"latency_ms",
           {{"mean", spread_json(u.latency_mean_ms)},
            {"p50", spread_json(u.p50_ms)},
            {"p95", spread_json(u.p95_ms)},
            {"p99", spread_json(u.p99_ms)}}},
          {"unstable_draws", u.unstable_draws},
          {"samples", samples}};
}

/// run.interval's windows as columns, one value per window, ready to plot.
nlohmann::ordered_json series_json(const RunSummary& s) {
  nlohmann::ordered_json j{{"interval_s", r6(s.series_interval_s)}};
  auto column = [&](const char* name, double SeriesPoint::*field) {
    auto& c = j[name] = nlohmann::ordered_json::array();
    for (const auto& pt : s.series) c.push_back(r6(pt.*field));
  };
  column("start_s", &SeriesPoint::start_s);
  column("offered_rps", &SeriesPoint::offered_rps);
  column("throughput_rps", &SeriesPoint::throughput_rps);
  column("latency_mean_ms", &SeriesPoint::latency_mean_ms);
  column("p50_ms", &SeriesPoint::p50_ms);
  column("p99_ms", &SeriesPoint::p99_ms);
  column("in_system_mean", &SeriesPoint::in_system_mean);
  column("nodes_serving", &SeriesPoint::nodes_serving);
  return j;
}

nlohmann::ordered_json summary_json(const RunSummary& s, const nlohmann::ordered_json& config,
                                    const UncertaintySummary* uncertainty) {
  nlohmann::ordered_json j;
  j["completed"] = s.completed;
  j["throughput_rps"] = r6(s.throughput_rps.mean);
  j["throughput_ci95"] = interval(s.throughput_rps);
  j["latency_ms"] = {{"mean", r6(s.latency_mean_ms.mean)},
                     {"p50", r6(s.p50_ms)},
                     {"p90", r6(s.p90_ms)},
                     {"p95", r6(s.p95_ms)},
                     {"p99", r6(s.p99_ms)},
                     {"max", r6(s.max_ms)},
                     {"mean_ci95", interval(s.latency_mean_ms)}};
  if (s.has_fanout)
    j["children"] = {{"completed", s.child_completed},
                     {"per_request", r6(s.children_per_request)},
                     {"latency_ms",
                      {{"mean", r6(s.child_latency_mean_ms.mean)},
                       {"p50", r6(s.child_p50_ms)},
                       {"p90", r6(s.child_p90_ms)},
                       {"p95", r6(s.child_p95_ms)},
                       {"p99", r6(s.child_p99_ms)},
                       {"max", r6(s.child_max_ms)},
                       {"mean_ci95", interval(s.child_latency_mean_ms)}}}};
  auto& stages = j["stages"] = nlohmann::ordered_json::array();
  const double total = s.latency_mean_ms.mean;
  const StageSummary* batched = nullptr;  // the last batching stage: the model's batch size
  for (const auto& st : s.stages) {
    nlohmann::ordered_json o{
        {"name", st.name},
        {"instances", st.instances},
        {"queue_ms", r6(st.queue_ms.mean)},
        {"service_ms", r6(st.service_ms.mean)},
        {"compute_input_ms", r6(st.input_ms)},
        {"device_wait_ms", r6(st.wait_ms)},
        {"compute_infer_ms", r6(st.compute_ms)},
        {"compute_output_ms", r6(st.output_ms)},
        {"utilization", r6(st.utilization)},
        {"latency_share", r6(total > 0 ? (st.queue_ms.mean + st.service_ms.mean) / total : 0)},
        {"queue_ms_ci95", interval(st.queue_ms)}};
    if (st.batch_histogram.size() > 2) {
      o["batch_size"] = batch_json(st);
      batched = &st;
    }
    stages.push_back(o);
  }
  if (batched) j["batch_size"] = batch_json(*batched);
  auto& res = j["resources"] = nlohmann::ordered_json::array();
  for (const auto& r : s.resources) {
    res.push_back({{"name", r.name},
                   {"servers", r.servers},
                   {"utilization", r6(r.utilization)},
                   {"demand_ms", finite_or_null(r.demand_ms)},
                   {"throughput_bound_rps", finite_or_null(r.throughput_bound)}});
  }
  j["bottleneck"] = s.bottleneck;
  auto& energy = j["energy_j_per_request"] = nlohmann::ordered_json::object();
  if (!s.energy.empty()) {
    energy["total"] = r6(s.energy_j_per_request);
    for (const auto& e : s.energy) energy[e.device] = r6(e.joules_per_request);
  }
  if (s.gpu_memory_mean_bytes > 0 || s.spilled_bytes > 0) {
    j["gpu_memory"] = {{"mean_bytes", r6(s.gpu_memory_mean_bytes)},
                       {"peak_bytes", r6(s.gpu_memory_peak_bytes)},
                       {"spilled_bytes", r6(s.spilled_bytes)}};
    if (s.pool_peak_bytes > 0 || s.pool_spilled_bytes > 0)
      j["gpu_memory"]["pool"] = {{"mean_bytes", r6(s.pool_mean_bytes)},
                                 {"peak_bytes", r6(s.pool_peak_bytes)},
                                 {"spilled_bytes", r6(s.pool_spilled_bytes)},
                                 {"reloaded_bytes", r6(s.pool_reloaded_bytes)}};
  }
  if (s.context_switches > 0) j["gpu_context_switches"] = r6(s.context_switches);
  j["throughput_bound_rps"] = finite_or_null(s.throughput_bound);
  j["unstable"] = s.unstable;
  j["warnings"] = s.warnings;
  auto& laws = j["laws"] = nlohmann::ordered_json::array();
  for (const auto& l : s.laws) {
    laws.push_back(
        {{"law", l.law},
         {"subject", l.subject},
         {"measured", r6(l.lhs)},
         {"predicted", r6(l.rhs)},
         {"relative_error", l.unchecked.empty() ? nlohmann::ordered_json(r6(l.relative_error()))
                                                : nlohmann::ordered_json()}});
    if (!l.unchecked.empty()) laws.back()["cannot_check"] = l.unchecked;
  }
  if (uncertainty) j["uncertainty"] = uncertainty_json(*uncertainty);
  if (s.has_autoscale)
    j["nodes"] = {{"serving_mean", r6(s.nodes_serving_mean)}, {"node_hours", r6(s.node_hours)}};
  if (!s.series.empty()) j["timeseries"] = series_json(s);
  j["replications"] = s.replications;
  j["window_s"] = r6(s.window_s);
  j["arrivals"] = s.arrivals;
  j["dropped"] = s.dropped;
  j["rejected"] = s.rejected;
  j["events"] = s.events;
  j["seed"] = config.value("seed", 0ULL);
  j["config"] = config;
  return j;
}

std::string csv_column_unit(const std::string& c) {
  // "p99 latency p95 over draws" (run --uncertainty) is in its metric's unit.
  if (const auto at = c.rfind(" over draws"); at != std::string::npos && at > 0) {
    const auto q = c.rfind(' ', at - 1);
    if (q != std::string::npos) return csv_column_unit(c.substr(0, q));
  }
  // The times summary_csv writes in microseconds, perf_analyzer's and servesim's.
  for (const char* t : {"Client Send", "Network+Server Send/Recv", "Server Queue",
                        "Server Compute Input", "Server Compute Infer", "Server Compute Output",
                        "Client Recv", "p50 latency", "p90 latency", "p95 latency", "p99 latency",
                        "Avg latency", "request/response", "response wait"})
    if (c == t) return "us";
  for (const char* t : {" Queue", " Service", " Device Wait"})
    if (c.ends_with(t)) return "us";
  if (c.starts_with("Inferences/Second") || c == "Request Rate" || c == "Throughput Bound")
    return "1/s";
  if (c == "Energy J/Request") return "J";
  return "";
}

std::size_t perf_analyzer_column_count(CsvLayout layout) {
  return layout == CsvLayout::kVerbose ? 20 : 13;
}

bool in_model_statistics(const std::string& stage, StageSide side) {
  return side == StageSide::kServer && stage != "frontend";
}

namespace {

using CsvColumns = std::vector<std::pair<std::string, std::string>>;

/// A value with no number (an unbounded or unknown bound) is an empty cell, not "inf" or "nan";
/// otherwise 6 significant digits, as perf_analyzer's stream writes its rates.
std::string num(double v) { return std::isfinite(v) ? format("%.6g", v) : std::string(); }

/// A mean in ms as Triton keeps times: whole nanoseconds (>= 0); nullopt when unknown.
std::optional<std::int64_t> whole_ns(double ms) {
  if (!std::isfinite(ms)) return std::nullopt;
  return std::max<std::int64_t>(0, std::llround(ms * 1e6));
}

/// perf_analyzer's microseconds: ns / 1000, truncated; empty when unknown.
std::string whole_us(std::optional<std::int64_t> ns) {
  return ns ? std::to_string(*ns / 1000) : std::string();
}

/// perf_analyzer's GPU metrics cells (report_writer.cc, WriteGpuMetrics): "uuid:value;" for each
/// GPU, servesim's GPU names for the UUIDs. Average utilisation (0..1) of each GPU's compute
/// engine and average power (W: its energy over the window), where the config gives power; the
/// most memory each GPU used (bytes: reserved_memory, for weights and workspaces, plus the most
/// its requests held at once over the replications, from the start of each) and its memory
/// (node.gpus.memory, where given), as the used and total bytes Triton's GPU metrics report.
void gpu_metric_columns(const RunSummary& s, CsvColumns& cols) {
  std::string util, power, used, total;
  if (!s.reps.empty()) {
    const auto& info = s.reps.front().resources;
    std::size_t d = 0;  // index of the device in device_energy_j
    for (std::size_t i = 0; i < info.size() && i < s.resources.size(); ++i) {
      const bool powered = !info[i].device.empty() && (info[i].idle_w > 0 || info[i].busy_w > 0);
      if (info[i].gpu >= 0) {
        util += info[i].device + ":" + num(s.resources[i].utilization) + ";";
        const auto g = static_cast<std::size_t>(info[i].gpu);
        double held = 0;
        for (const auto& r : s.reps)
          if (g < r.gpu_memory_peak_each_bytes.size())
            held = std::max(held, r.gpu_memory_peak_each_bytes[g]);
        used += info[i].device + ":" + std::to_string(std::llround(info[i].reserved_bytes + held)) +
                ";";
        if (info[i].memory_bytes > 0)
          total += info[i].device + ":" + std::to_string(std::llround(info[i].memory_bytes)) + ";";
        if (powered) {
          double w = 0;
          for (const auto& r : s.reps) w += r.window_s > 0 ? r.device_energy_j[d] / r.window_s : 0;
          power += info[i].device + ":" + num(w / static_cast<double>(s.reps.size())) + ";";
        }
      }
      if (powered) ++d;
    }
  }
  cols.emplace_back("Avg GPU Utilization", util);
  cols.emplace_back("Avg GPU Power Usage", power);
  cols.emplace_back("Max GPU Memory Usage", used);
  cols.emplace_back("Total GPU Memory", total);
}

/// perf_analyzer's columns (report_writer.cc, GenerateReport), filled from servesim's stages.
void perf_analyzer_columns(const RunSummary& s, const WorkloadParams& load, CsvLayout layout,
                           CsvColumns& cols) {
  const bool closed = load.mode == WorkloadMode::kClosed;
  cols.emplace_back(closed ? "Concurrency" : "Request Rate",
                    closed ? std::to_string(load.concurrency) : num(load.rate_per_s));
  cols.emplace_back("Inferences/Second", num(s.throughput_rps.mean));
  double send = 0, queue = 0, input = 0, infer = 0, output = 0;
  for (const auto& st : s.stages) {
    if (st.side == StageSide::kClient) send += st.queue_ms.mean + st.service_ms.mean;
    if (!in_model_statistics(st.name, st.side)) continue;
    queue += st.queue_ms.mean;
    input += st.input_ms;
    infer += st.wait_ms + st.compute_ms;
    output += st.output_ms;
  }
  // Client Recv is 0: the client's read of the response is part of its `cost`, in Client Send.
  const auto send_ns = whole_ns(send), recv_ns = whole_ns(0),
             latency_ns = whole_ns(s.latency_mean_ms.mean);
  const auto queue_ns = whole_ns(queue), input_ns = whole_ns(input), infer_ns = whole_ns(infer),
             output_ns = whole_ns(output);
  // What the client waited for that Triton's model statistics do not account for: the wire,
  // the front end, Triton's own handling (perf_analyzer's formula, capped at 0 as it is).
  std::optional<std::int64_t> network;
  if (latency_ns)
    network = std::max<std::int64_t>(
        0, *latency_ns - *send_ns - *recv_ns - *queue_ns - *input_ns - *infer_ns - *output_ns);
  cols.emplace_back("Client Send", whole_us(send_ns));
  cols.emplace_back("Network+Server Send/Recv", whole_us(network));
  cols.emplace_back("Server Queue", whole_us(queue_ns));
  cols.emplace_back("Server Compute Input", whole_us(input_ns));
  cols.emplace_back("Server Compute Infer", whole_us(infer_ns));
  cols.emplace_back("Server Compute Output", whole_us(output_ns));
  cols.emplace_back("Client Recv", whole_us(recv_ns));
  for (const auto& [name, ms] : {std::pair{"p50 latency", s.p50_ms},
                                 {"p90 latency", s.p90_ms},
                                 {"p95 latency", s.p95_ms},
                                 {"p99 latency", s.p99_ms}})
    cols.emplace_back(name, whole_us(whole_ns(ms)));
  if (layout != CsvLayout::kVerbose) return;
  cols.emplace_back("Avg latency", whole_us(latency_ns));
  // request/response: the client's send and receive; response wait: the rest of its request
  // time (whole us each, as perf_analyzer subtracts them).
  const std::int64_t send_us = *send_ns / 1000, recv_us = *recv_ns / 1000;
  cols.emplace_back("request/response", std::to_string(send_us + recv_us));
  cols.emplace_back("response wait", latency_ns ? std::to_string(std::max<std::int64_t>(
                                                      0, *latency_ns / 1000 - send_us - recv_us))
                                                : std::string());
  gpu_metric_columns(s, cols);
}

/// servesim's own columns, after perf_analyzer's.
void servesim_columns(const RunSummary& s, CsvLayout layout, CsvColumns& cols) {
  const auto us = [](double ms) { return num(ms * 1e3); };
  if (layout != CsvLayout::kVerbose)  // the verbose layout has it among perf_analyzer's
    cols.emplace_back("Avg latency", whole_us(whole_ns(s.latency_mean_ms.mean)));
  cols.emplace_back("Inferences/Second CI95 Low", num(s.throughput_rps.lo));
  cols.emplace_back("Inferences/Second CI95 High", num(s.throughput_rps.hi));
  for (const auto& st : s.stages) {
    cols.emplace_back(st.name + " Queue", us(st.queue_ms.mean));
    cols.emplace_back(st.name + " Service", us(st.service_ms.mean));
    cols.emplace_back(st.name + " Device Wait", us(st.wait_ms));
    if (st.batch_mean > 0) cols.emplace_back(st.name + " Batch Size", num(st.batch_mean));
  }
  for (const auto& r : s.resources) cols.emplace_back(r.name + " Utilization", num(r.utilization));
  cols.emplace_back("Bottleneck", s.bottleneck);
  cols.emplace_back("Throughput Bound", num(s.throughput_bound));
  cols.emplace_back("Energy J/Request", num(s.energy_j_per_request));
  cols.emplace_back("Rejected", std::to_string(s.rejected));
}

}  // namespace

std::string summary_csv(const RunSummary& s, const WorkloadParams& load,
                        const UncertaintySummary* uncertainty, CsvLayout layout) {
  CsvColumns cols;
  perf_analyzer_columns(s, load, layout, cols);
  servesim_columns(s, layout, cols);
  if (uncertainty) {
    // p5, p50, p95 over the draws, after every column of a run without them.
    const auto spread = [&](const std::string& name, const Spread& v, double scale) {
      for (const auto& [q, x] : {std::pair{"p5", v.p5}, {"p50", v.p50}, {"p95", v.p95}})
        cols.emplace_back(name + " " + q + " over draws", num(x * scale));
    };
    spread("Inferences/Second", uncertainty->throughput_rps, 1);
    spread("Avg latency", uncertainty->latency_mean_ms, 1e3);
    spread("p99 latency", uncertainty->p99_ms, 1e3);
  }
  std::string head, row;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    head += (i ? "," : "") + csv_cell(cols[i].first);
    row += (i ? "," : "") + csv_cell(cols[i].second);
  }
  return head + "\n" + row + "\n";
}

void print_summary(std::ostream& out, const RunSummary& s, const std::string& source) {
  // Numbers as people read them (sim/core/format.h): 0.00003922 ms, never 3.922e-05 ms. Times
  // are in ms on a clock of 1 ns: a mean below it is shown as below it.
  const auto N = [](double v, int significant) { return readable(v, significant); };
  const auto ms = [](double v, int significant) { return readable(v, significant, 1e-6); };
  out << "servesim: " << source << " — " << s.replications << " replication(s), window "
      << readable(s.window_s, 6) << " s each (after warm-up)\n\n";
  out << format("  completed      %llu requests%s\n", static_cast<unsigned long long>(s.completed),
                s.completed ? "" : "   <- WARNING: nothing completed; see the warnings below");
  out << format("  throughput     %s req/s   (95%% CI %s .. %s)\n", N(s.throughput_rps.mean, 6),
                N(s.throughput_rps.lo, 6), N(s.throughput_rps.hi, 6));
  out << format("  latency mean   %s ms      (95%% CI %s .. %s)\n", ms(s.latency_mean_ms.mean, 6),
                ms(s.latency_mean_ms.lo, 6), ms(s.latency_mean_ms.hi, 6));
  out << format("  latency        p50 %s  p90 %s  p95 %s  p99 %s  max %s ms\n\n", ms(s.p50_ms, 4),
                ms(s.p90_ms, 4), ms(s.p95_ms, 4), ms(s.p99_ms, 4), ms(s.max_ms, 4));
  if (s.has_fanout) {
    out << format("  children       %llu (%s per request), latency from emission mean %s ms\n",
                  static_cast<unsigned long long>(s.child_completed), N(s.children_per_request, 4),
                  ms(s.child_latency_mean_ms.mean, 6));
    out << format("  child latency  p50 %s  p90 %s  p95 %s  p99 %s  max %s ms\n\n",
                  ms(s.child_p50_ms, 4), ms(s.child_p90_ms, 4), ms(s.child_p95_ms, 4),
                  ms(s.child_p99_ms, 4), ms(s.child_max_ms, 4));
  }

  const double total = s.latency_mean_ms.mean;
  bool copies = false, batches = false;
  for (const auto& st : s.stages) {
    copies = copies || st.input_ms > 0 || st.output_ms > 0 || st.wait_ms > 0;
    batches = batches || st.batch_mean > 1;
  }
  out << format("  %-16s %9s %10s %10s", "stage", "instances", "queue ms", "service ms");
  if (copies)
    out << format(" %10s %10s %10s %10s", "input ms", "wait ms", "compute ms", "output ms");
  if (batches) out << format(" %7s", "batch");
  out << format(" %7s %7s\n", "share", "util");
  for (const auto& st : s.stages) {
    const double share = total > 0 ? (st.queue_ms.mean + st.service_ms.mean) / total : 0;
    out << format("  %-16s %9d %10s %10s", st.name.c_str(), st.instances, ms(st.queue_ms.mean, 4),
                  ms(st.service_ms.mean, 4));
    if (copies)
      out << format(" %10s %10s %10s %10s", ms(st.input_ms, 4), ms(st.wait_ms, 4),
                    ms(st.compute_ms, 4), ms(st.output_ms, 4));
    if (batches) out << format(" %7s", N(st.batch_mean, 3));
    out << format(" %6.1f%% %6.1f%%\n", 100 * share, 100 * st.utilization);
  }
  out << "\n"
      << format("  %-22s %8s %7s %12s %14s\n", "resource", "servers", "util", "demand ms",
                "bound req/s");
  for (const auto& r : s.resources) {
    // +inf: no demand, nothing bounds it; NaN: no completion to divide the busy time by.
    const std::string bound = std::isfinite(r.throughput_bound) ? readable(r.throughput_bound, 6)
                              : std::isnan(r.throughput_bound)  ? "unknown"
                                                                : "unbounded";
    const std::string demand = std::isfinite(r.demand_ms) ? readable(r.demand_ms, 5, 1e-6) : "-";
    out << format("  %-22s %8g %6.1f%% %12s %14s%s\n", r.name.c_str(), r.servers,
                  100 * r.utilization, demand.c_str(), bound.c_str(),
                  !s.bottleneck.empty() && r.name == s.bottleneck ? "  <- bottleneck" : "");
  }
  if (!s.energy.empty()) {
    out << format("\n  energy         %s J per request (", N(s.energy_j_per_request, 4));
    for (std::size_t i = 0; i < s.energy.size(); ++i)
      out << format("%s%s %s", i ? ", " : "", s.energy[i].device.c_str(),
                    N(s.energy[i].joules_per_request, 4));
    out << ")\n";
  }
  if (s.rejected > 0)
    out << format("  rejected       %llu requests (batcher queue full or timed out)\n",
                  static_cast<unsigned long long>(s.rejected));
  if (s.gpu_memory_mean_bytes > 0)
    out << format("  GPU memory     %s peak of request tensors on one GPU, %s mean over all\n",
                  binary_bytes(s.gpu_memory_peak_bytes), binary_bytes(s.gpu_memory_mean_bytes));
  if (s.spilled_bytes > 0)
    out << format("  GPU memory     %s GB spilled to host per replication\n",
                  N(s.spilled_bytes * 1e-9, 4));
  if (s.pool_spilled_bytes > 0)
    out << format("  tensor pool    %s GB to pinned host memory and %s GB back per replication\n",
                  N(s.pool_spilled_bytes * 1e-9, 4), N(s.pool_reloaded_bytes * 1e-9, 4));
  if (s.context_switches > 0)
    out << format("  GPU contexts   %s switches between processes per replication\n",
                  N(s.context_switches, 4));
  double worst = 0;
  std::size_t checked = 0;
  std::string why;  // the first reason a law cannot be checked
  for (const auto& l : s.laws) {
    if (!l.unchecked.empty()) {
      if (why.empty()) why = l.unchecked;
      continue;
    }
    worst = std::max(worst, l.relative_error());
    ++checked;
  }
  if (checked > 0)
    out << format(
        "\n  operational laws: Little's law and the utilisation law hold to %.2g%% (worst of %zu "
        "checks)\n",
        100 * worst, checked);
  if (checked == 0 && !s.laws.empty())
    out << "\n  operational laws: cannot be checked: " << why << "\n";
  else if (checked < s.laws.size())
    out << format("  operational laws: %zu more cannot be checked: %s\n", s.laws.size() - checked,
                  why.c_str());
  out << (s.unstable ? "  UNSTABLE: the offered load outruns capacity\n" : "");
  for (const auto& w : s.warnings) out << "  warning: " << w << "\n";
}

}  // namespace servesim
