#include "calib/slowdown_bench.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "calib/samples.h"
#include "calib/timing.h"

namespace servesim::calib {

namespace {

/// The fixed kernel: a 96 x 96 single-precision matrix product (about 70 us on a 2020s core),
/// its data in the core's own caches, so that what changes its time is the core, not the data.
class Kernel {
 public:
  Kernel() : a_(kN * kN, 1.001f), b_(kN * kN, 0.999f), c_(kN * kN, 0.0f) {}
  void run() {
    for (std::size_t i = 0; i < kN; ++i)
      for (std::size_t k = 0; k < kN; ++k) {
        const float x = a_[i * kN + k];
        for (std::size_t j = 0; j < kN; ++j) c_[i * kN + j] += x * b_[k * kN + j];
      }
    sink_ = c_[7];
  }

 private:
  static constexpr std::size_t kN = 96;
  std::vector<float> a_, b_, c_;
  volatile float sink_ = 0;
};

/// What the probe did, for a source and a comment.
std::string probe_text(const SlowdownPlan& plan, const MachineInfo& m) {
  char b[200];
  std::snprintf(b, sizeof b,
                "%.0f s on each of %d cores, a 96x96 matrix product back to back, %.0f ms "
                "windows below %.2f of the core's median speed (calls a stall hit left out)",
                plan.seconds, m.cores, plan.window_s * 1e3, plan.threshold);
  return b;
}

/// The windows' speeds from the calls' (end, duration) in ns since the start.
std::vector<double> window_speeds(const std::vector<std::pair<std::int64_t, std::int64_t>>& calls,
                                  const SlowdownPlan& plan) {
  std::vector<double> d;
  d.reserve(calls.size());
  for (const auto& c : calls) d.push_back(static_cast<double>(c.second));
  const double med = median(std::move(d));
  const auto window = static_cast<std::int64_t>(plan.window_s * 1e9);
  const auto n = static_cast<std::size_t>(std::llround(plan.seconds / plan.window_s));
  std::vector<double> sum(n, 0.0);
  std::vector<int> count(n, 0);
  for (const auto& [end, dur] : calls) {
    const auto w = static_cast<std::size_t>(end / window);
    if (w >= n || static_cast<double>(dur) > med + static_cast<double>(plan.stall_ns)) continue;
    sum[w] += static_cast<double>(dur);
    ++count[w];
  }
  std::vector<double> speed(n, 1.0);
  for (std::size_t w = 0; w < n; ++w)
    if (count[w] >= 3) speed[w] = med / (sum[w] / count[w]);
  return speed;
}

}  // namespace

std::vector<CoreSpeed> probe_speed(const SlowdownPlan& plan) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty()) throw std::runtime_error("calib: no CPU to run the speed probe on");
  std::vector<CoreSpeed> out(cpus.size());
  for (std::size_t i = 0; i < cpus.size(); ++i) out[i].cpu = cpus[i];
  const auto span = static_cast<std::int64_t>(plan.seconds * 1e9);
  on_each_cpu(cpus, [&plan, &out, span](std::size_t i) {  // a CPU it may not use: no windows
    Kernel kernel;
    kernel.run();                                              // its data into the caches
    std::vector<std::pair<std::int64_t, std::int64_t>> calls;  // (end, duration) ns
    calls.reserve(static_cast<std::size_t>(span / 20'000));
    const std::int64_t start = monotonic_ns();
    for (std::int64_t t = start; t - start < span;) {
      const std::int64_t a = monotonic_ns();
      kernel.run();
      t = monotonic_ns();
      calls.emplace_back(t - start, t - a);
    }
    out[i].windows = window_speeds(calls, plan);
  });
  return out;
}

SlowdownSummary summarize_slowdowns(const std::vector<CoreSpeed>& cores, const SlowdownPlan& plan) {
  SlowdownSummary s;
  std::vector<std::int64_t> lengths;
  double slowed_windows = 0, speed_sum = 0, windows = 0;
  const auto window_ns = static_cast<std::int64_t>(plan.window_s * 1e9);
  for (const CoreSpeed& c : cores) {
    windows += static_cast<double>(c.windows.size());
    std::int64_t run = 0;
    for (std::size_t w = 0; w <= c.windows.size(); ++w) {
      const bool slow = w < c.windows.size() && c.windows[w] < plan.threshold;
      if (slow) {
        ++run;
        ++slowed_windows;
        speed_sum += c.windows[w];
      } else if (run > 0) {
        lengths.push_back(run * window_ns);
        run = 0;
      }
    }
  }
  if (cores.empty() || windows == 0) return s;
  const double core_ns = windows * static_cast<double>(window_ns);
  s.slowdowns = static_cast<int>(lengths.size());
  s.per_core_rate = static_cast<double>(lengths.size()) / (core_ns * 1e-9);
  s.slowed_fraction = slowed_windows / windows;
  if (lengths.empty()) return s;
  s.speed = speed_sum / slowed_windows;
  s.interval_mean_ns = core_ns * (1 - s.slowed_fraction) / static_cast<double>(lengths.size());
  std::sort(lengths.begin(), lengths.end());
  for (int q = 0; q < 20; ++q)
    s.quantiles.push_back(
        lengths[static_cast<std::size_t>((q + 0.5) / 20 * static_cast<double>(lengths.size()))]);
  return s;
}

SlowdownPlan slowdown_plan(bool quick) {
  SlowdownPlan p;
  p.seconds = quick ? 5 : 30;
  return p;
}

std::string slowdowns_entry(const SlowdownSummary& s, const SlowdownPlan& plan,
                            const MachineInfo& m, const std::string& indent) {
  if (s.quantiles.empty()) return {};
  char b[64];
  std::string samples;
  for (const std::int64_t q : s.quantiles) {
    std::snprintf(b, sizeof b, "%s%.0fms", samples.empty() ? "" : ", ",
                  static_cast<double>(q) / 1e6);
    samples += b;
  }
  std::snprintf(b, sizeof b, "%.1fms", s.interval_mean_ns / 1e6);
  const std::string mean = b;
  std::snprintf(b, sizeof b, "%.3f", s.speed);
  const std::string source = "servesim calib's speed probe on " + m.cpu + ": " +
                             probe_text(plan, m) +
                             "; an exponential interval of the measured mean, the lengths as "
                             "their 20 quantiles, the slowed windows' mean speed; " +
                             m.date.substr(0, 10);
  return indent + "slowdowns:\n" + indent + "  interval: {dist: exponential, mean: " + mean +
         "}\n" + indent + "  duration: {dist: empirical, samples: [" + samples + "]}\n" + indent +
         "  speed: " + b + "\n" + indent + "  source: " + nlohmann::json(source).dump() + "\n";
}

std::string slowdowns_yaml(const SlowdownSummary& s, const SlowdownPlan& plan,
                           const MachineInfo& m) {
  const std::string head =
      "# servesim calib bench slowdowns: when the cores of this machine ran slower for a while.\n"
      "# Include it in a scenario or copy its keys.\n";
  if (s.quantiles.empty())
    return head + "# no slowdown in " + probe_text(plan, m) + ": leave node.cpu.slowdowns out\n";
  return head + "node:\n  cpu:\n" + slowdowns_entry(s, plan, m, "    ");
}

std::string slowdowns_csv(const std::vector<CoreSpeed>& cores) {
  std::string s = "cpu,window,speed\n";
  char b[64];
  for (const CoreSpeed& c : cores)
    for (std::size_t i = 0; i < c.windows.size(); ++i) {
      std::snprintf(b, sizeof b, "%d,%zu,%.4f\n", c.cpu, i, c.windows[i]);
      s += b;
    }
  return s;
}

}  // namespace servesim::calib
