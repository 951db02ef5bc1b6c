#include "calib/stall_bench.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "calib/timing.h"

namespace servesim::calib {

namespace {

std::string us(std::int64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0fus", static_cast<double>(ns) / 1e3);
  return b;
}

}  // namespace

StallPlan stall_plan(bool quick) {
  StallPlan p;
  p.seconds = quick ? 5 : 30;
  return p;
}

std::vector<CoreStalls> probe_stalls(const StallPlan& plan) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty()) throw std::runtime_error("calib bench stalls: no CPU to run on");
  std::vector<CoreStalls> out(cpus.size());
  for (std::size_t i = 0; i < cpus.size(); ++i) out[i].cpu = cpus[i];
  const auto span = static_cast<std::int64_t>(plan.seconds * 1e9);
  on_each_cpu(cpus, [&plan, &out, span](std::size_t i) {  // a CPU it may not use: no stalls
    const std::int64_t start = monotonic_ns();
    std::int64_t last = start;
    while (last - start < span) {
      const std::int64_t t = monotonic_ns();
      if (t - last > plan.threshold_ns) out[i].gaps.push_back(t - last);
      last = t;
    }
  });
  return out;
}

StallSummary summarize_stalls(const std::vector<CoreStalls>& cores, double seconds) {
  StallSummary s;
  std::vector<std::int64_t> all;
  double stalled_ns = 0;
  for (const CoreStalls& c : cores)
    for (const std::int64_t g : c.gaps) {
      all.push_back(g);
      stalled_ns += static_cast<double>(g);
    }
  if (cores.empty() || !(seconds > 0)) return s;
  const double core_s = seconds * static_cast<double>(cores.size());
  s.per_core_rate = static_cast<double>(all.size()) / core_s;
  s.stalled_fraction = stalled_ns / (core_s * 1e9);
  if (all.empty()) return s;
  // A core runs (1 - stalled) of its time between its stalls.
  s.interval_mean_ns = (core_s * 1e9 - stalled_ns) / static_cast<double>(all.size());
  std::sort(all.begin(), all.end());
  for (int q = 0; q < 20; ++q)
    s.quantiles.push_back(
        all[static_cast<std::size_t>((q + 0.5) / 20 * static_cast<double>(all.size()))]);
  return s;
}

namespace {

std::string probe_text(const StallPlan& plan, const MachineInfo& m) {
  char b[160];
  std::snprintf(b, sizeof b, "%.0f s on each of %d cores, gaps over %s in a clock-reading loop",
                plan.seconds, m.cores, us(plan.threshold_ns).c_str());
  return b;
}

}  // namespace

std::string stalls_entry(const StallSummary& s, const StallPlan& plan, const MachineInfo& m,
                         const std::string& indent) {
  if (s.quantiles.empty()) return {};
  std::string samples;
  for (const std::int64_t q : s.quantiles) samples += (samples.empty() ? "" : ", ") + us(q);
  char mean[32];
  std::snprintf(mean, sizeof mean, "%.1fms", s.interval_mean_ns / 1e6);
  const std::string source = "servesim calib bench stalls on " + m.cpu + ": " +
                             probe_text(plan, m) +
                             "; an exponential interval (stalls as a Poisson process) of the "
                             "measured mean, the lengths as their 20 quantiles; " +
                             m.date.substr(0, 10);
  return indent + "stalls:\n" + indent + "  interval: {dist: exponential, mean: " + mean + "}\n" +
         indent + "  duration: {dist: empirical, samples: [" + samples + "]}\n" + indent +
         "  source: " + nlohmann::json(source).dump() + "\n";
}

std::string stalls_yaml(const StallSummary& s, const StallPlan& plan, const MachineInfo& m) {
  const std::string head =
      "# servesim calib bench stalls: when the cores of this machine ran nothing. Include it in "
      "a\n# scenario or copy its keys.\n";
  if (s.quantiles.empty())
    return head + "# no stall in " + probe_text(plan, m) + ": leave node.cpu.stalls out\n";
  return head + "node:\n  cpu:\n" + stalls_entry(s, plan, m, "    ");
}

std::string stalls_csv(const std::vector<CoreStalls>& cores) {
  std::string s = "cpu,stall,ns\n";
  for (const CoreStalls& c : cores)
    for (std::size_t i = 0; i < c.gaps.size(); ++i)
      s += std::to_string(c.cpu) + "," + std::to_string(i) + "," + std::to_string(c.gaps[i]) + "\n";
  return s;
}

}  // namespace servesim::calib
