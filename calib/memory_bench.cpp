#include "calib/memory_bench.h"
#include "calib/timing.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "sim/config/atomic_file.h"
#include "sim/config/csv.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// "32768K" (sysfs cache size) -> bytes; 0 when it is not that.
std::size_t cache_size_text(const std::string& s) {
  std::size_t i = 0;
  std::size_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    v = v * 10 + static_cast<std::size_t>(s[i++] - '0');
  if (i == 0) return 0;
  const char unit = i < s.size() ? s[i] : ' ';
  return unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : unit == 'G' ? v << 30 : v;
}

}  // namespace

MemoryPlan memory_plan(bool quick) {
  MemoryPlan p;
  if (quick) {
    p.bandwidth_repeats = 5;
    p.efficiency_seconds = 0.2;
    p.efficiency_repeats = 3;
  }
  return p;
}

std::size_t last_level_cache_bytes() {
  std::size_t best = 0;
  int best_level = 0;
  for (int i = 0; i < 16; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_in(dir + "level"), size_in(dir + "size");
    int level = 0;
    std::string size;
    if (!(level_in >> level) || !(size_in >> size)) continue;
    if (level >= best_level) best_level = level, best = cache_size_text(size);
  }
  return best;
}

std::size_t memory_array_bytes(const MemoryPlan& plan, std::size_t llc) {
  if (plan.array_bytes > 0) return plan.array_bytes;
  return std::max(std::size_t{256} << 20, 4 * llc);
}

std::string_view stream_kernel_name(StreamKernel k) {
  switch (k) {
    case StreamKernel::kCopy:
      return "copy";
    case StreamKernel::kTriad:
      return "triad";
    case StreamKernel::kMemcpy:
      return "memcpy";
  }
  return "?";
}

double stream_bytes(StreamKernel k, std::size_t elements) {
  const double n = static_cast<double>(elements) * sizeof(double);
  return k == StreamKernel::kTriad ? 3 * n : 2 * n;
}

namespace {

constexpr double kTriadScalar = 3.0;

/// The arrays, uninitialised until fill() (the page faults are not timed).
struct StreamArrays {
  std::size_t n = 0;
  std::unique_ptr<double[]> a, b, c;
  explicit StreamArrays(std::size_t elements)
      : n(elements), a(new double[elements]), b(new double[elements]), c(new double[elements]) {
    std::fill_n(a.get(), n, 0.0);
    std::fill_n(b.get(), n, 1.0);
    std::fill_n(c.get(), n, 2.0);
  }

  void run(StreamKernel k, std::size_t lo, std::size_t hi) {
    double* __restrict x = a.get();
    const double* __restrict y = b.get();
    const double* __restrict z = c.get();
    switch (k) {
      case StreamKernel::kCopy:
        for (std::size_t i = lo; i < hi; ++i) x[i] = y[i];
        break;
      case StreamKernel::kTriad:
        for (std::size_t i = lo; i < hi; ++i) x[i] = y[i] + kTriadScalar * z[i];
        break;
      case StreamKernel::kMemcpy:
        std::memcpy(x + lo, y + lo, (hi - lo) * sizeof(double));
        break;
    }
  }

  /// a as the last pass of `k` leaves it: STREAM's check that the work was done.
  void check(StreamKernel k) const {
    const double want = k == StreamKernel::kTriad ? 1.0 + kTriadScalar * 2.0 : 1.0;
    for (const std::size_t i : {std::size_t{0}, n / 3, n / 2, n - 1})
      if (a[i] != want)
        throw std::runtime_error("calib bench memory: " + std::string(stream_kernel_name(k)) +
                                 " left a[" + std::to_string(i) + "] = " + shortest(a[i]) +
                                 ", not " + shortest(want));
  }
};

/// `repeats` + 1 passes of `k` by `threads` threads, each over its slice, a barrier before and
/// after each pass; thread 0 times each pass from the first barrier to the second. The first
/// pass is not kept.
std::vector<double> time_passes(StreamArrays& arr, StreamKernel k, int threads, int repeats) {
  std::barrier sync(threads);
  std::vector<double> seconds;
  auto body = [&](int t) {
    const std::size_t lo = arr.n * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
    const std::size_t hi =
        arr.n * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
    for (int r = 0; r <= repeats; ++r) {
      sync.arrive_and_wait();
      const auto t0 = Clock::now();
      arr.run(k, lo, hi);
      asm volatile("" ::: "memory");
      sync.arrive_and_wait();
      if (t == 0 && r > 0)
        seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
  pool.clear();  // joins
  arr.check(k);
  return seconds;
}

}  // namespace

std::vector<BandwidthPoint> measure_bandwidth(std::size_t array_bytes, int max_threads, int repeats,
                                              std::ostream& log, ProgressBar* bar) {
  if (max_threads < 1 || repeats < 1)
    throw std::invalid_argument("measure_bandwidth: threads and repeats must be >= 1");
  StreamArrays arr(std::max<std::size_t>(array_bytes / (3 * sizeof(double)), 1));
  std::vector<BandwidthPoint> out;
  for (int t = 1; t <= max_threads; ++t) {
    if (bar)
      bar->update(static_cast<std::size_t>(t - 1), static_cast<std::size_t>(max_threads),
                  "bandwidth", "thread counts");
    std::string line;
    for (const StreamKernel k :
         {StreamKernel::kCopy, StreamKernel::kTriad, StreamKernel::kMemcpy}) {
      const std::vector<double> s = time_passes(arr, k, t, repeats);
      BandwidthPoint p;
      p.threads = t;
      p.kernel = k;
      p.bytes = stream_bytes(k, arr.n);
      p.best_s = *std::min_element(s.begin(), s.end());
      p.median_s = median_of(s);
      out.push_back(p);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s %s %.2f GB/s", line.empty() ? "" : ",",
                    std::string(stream_kernel_name(k)).c_str(), p.best_gbps());
      line += buf;
    }
    if (bar) bar->finish();
    log << "  bandwidth, " << t << " thread" << (t == 1 ? ": " : "s:") << line << "\n"
        << std::flush;
  }
  return out;
}

std::string memory_csv(std::span<const BandwidthPoint> points) {
  std::string s = "threads,kernel,bytes,best_s,median_s,best_GBps,median_GBps\n";
  char buf[200];
  for (const BandwidthPoint& p : points) {
    std::snprintf(buf, sizeof buf, "%d,%s,%.0f,%.6g,%.6g,%.4g,%.4g\n", p.threads,
                  std::string(stream_kernel_name(p.kernel)).c_str(), p.bytes, p.best_s, p.median_s,
                  p.best_gbps(), p.median_gbps());
    s += buf;
  }
  return s;
}

namespace {

/// The runs of `l` that count: those during which other processes used at most `quiet_cores`
/// (when that is >= 0 and the kernel has any such run), else all. Checks the runs' shape.
std::vector<std::size_t> counted_runs(const KernelLoad& l, std::size_t threads, std::size_t runs,
                                      double quiet_cores) {
  if (l.per_item_ns.size() != runs)
    throw std::invalid_argument("efficiency of '" + l.kernel + "': runs differ among kernels");
  std::vector<std::size_t> all, quiet;
  for (std::size_t r = 0; r < runs; ++r) {
    const std::vector<double>& run = l.per_item_ns[r];
    if (run.size() != threads ||
        std::any_of(run.begin(), run.end(), [](double t) { return !(t > 0); }))
      throw std::invalid_argument("efficiency of '" + l.kernel +
                                  "': a run's times are missing or not positive");
    all.push_back(r);
    if (quiet_cores >= 0 && r < l.others_cores.size() && l.others_cores[r] >= 0 &&
        l.others_cores[r] <= quiet_cores)
      quiet.push_back(r);
  }
  return quiet.empty() ? all : quiet;
}

}  // namespace

std::vector<EfficiencyPoint> efficiency_points(std::span<const KernelLoad> loads,
                                               double quiet_cores) {
  if (loads.empty()) return {};
  for (const KernelLoad& l : loads)
    if (l.per_item_ns.empty() || l.per_item_ns[0].empty())
      throw std::invalid_argument("efficiency of '" + l.kernel + "': no runs");
  const std::size_t threads = loads[0].per_item_ns[0].size(), runs = loads[0].per_item_ns.size();
  std::vector<EfficiencyPoint> out;
  // per_run[r][k]: the efficiencies at k + 1 threads of the kernels whose run r counts.
  std::vector<std::vector<std::vector<double>>> per_run(runs,
                                                        std::vector<std::vector<double>>(threads));
  double others_all = -1;
  for (const KernelLoad& l : loads) {
    const std::vector<std::size_t> used = counted_runs(l, threads, runs, quiet_cores);
    double others = -1;
    for (const std::size_t r : used)
      if (r < l.others_cores.size()) others = std::max(others, l.others_cores[r]);
    others_all = std::max(others_all, others);
    for (std::size_t k = 0; k < threads; ++k) {
      std::vector<double> eff, t;
      for (const std::size_t r : used) {
        eff.push_back(l.per_item_ns[r][0] / l.per_item_ns[r][k]);
        t.push_back(l.per_item_ns[r][k]);
        per_run[r][k].push_back(eff.back());
      }
      out.push_back({l.kernel, static_cast<int>(k + 1), static_cast<int>(used.size()), median_of(t),
                     median_of(eff), *std::min_element(eff.begin(), eff.end()),
                     *std::max_element(eff.begin(), eff.end()), others});
    }
  }
  for (std::size_t k = 0; k < threads; ++k) {
    std::vector<double> medians, per_run_medians;
    for (std::size_t i = 0; i < loads.size(); ++i)
      medians.push_back(out[i * threads + k].efficiency);
    for (std::size_t r = 0; r < runs; ++r)
      if (!per_run[r][k].empty()) per_run_medians.push_back(median_of(per_run[r][k]));
    out.push_back({"node", static_cast<int>(k + 1), static_cast<int>(per_run_medians.size()), 0,
                   median_of(medians),
                   *std::min_element(per_run_medians.begin(), per_run_medians.end()),
                   *std::max_element(per_run_medians.begin(), per_run_medians.end()), others_all});
  }
  return out;
}

std::string efficiency_csv(std::span<const EfficiencyPoint> points) {
  std::string s =
      "kernel,threads,repetitions,per_item_ns,efficiency,efficiency_min,efficiency_max,"
      "others_max\n";
  char buf[200], others[32] = "";
  for (const EfficiencyPoint& p : points) {
    if (p.others_max >= 0) std::snprintf(others, sizeof others, "%.2f", p.others_max);
    std::snprintf(buf, sizeof buf, ",%d,%d,%s,%.4f,%.4f,%.4f,%s\n", p.threads, p.repetitions,
                  p.per_item_ns > 0 ? shortest(std::round(p.per_item_ns * 10) / 10).c_str() : "",
                  p.efficiency, p.efficiency_min, p.efficiency_max,
                  p.others_max >= 0 ? others : "");
    s += csv_cell(p.kernel) + buf;
  }
  return s;
}

MemoryRun run_memory_bench(const MemoryPlan& plan, std::ostream& log) {
  MemoryRun run;
  run.machine = this_machine();
  run.machine.warmup = 1;
  run.machine.repeats = plan.efficiency_repeats;
  const auto t0 = Clock::now();
  const int threads = plan.max_threads > 0 ? plan.max_threads : std::max(run.machine.cores, 1);
  run.llc_bytes = last_level_cache_bytes();
  run.array_bytes = memory_array_bytes(plan, run.llc_bytes);
  run.repetitions = plan.efficiency_repeats;
  run.quiet_cores = plan.quiet_cores;
  run.bandwidth_repeats = plan.bandwidth_repeats;
  log << "servesim calib bench memory: " << run.machine.cpu << ", 1.." << threads
      << " threads; arrays " << (run.array_bytes >> 20) << " MiB (last-level cache "
      << (run.llc_bytes >> 20) << " MiB)\n"
      << std::flush;
  const auto seconds = [](Clock::time_point a) {
    return std::chrono::duration<double>(Clock::now() - a).count();
  };
  const auto tb = Clock::now();
  const CpuClock b0 = cpu_clock();
  ProgressBar bar(log, plan.progress);  // on a terminal, after a second
  run.bandwidth = measure_bandwidth(run.array_bytes, threads, plan.bandwidth_repeats, log, &bar);
  run.others_bandwidth = other_load(b0, cpu_clock(), seconds(tb));
  const auto te = Clock::now();
  const CpuClock e0 = cpu_clock();
  run.loads = measure_efficiency(plan, threads, log, &bar);
  run.others_efficiency = other_load(e0, cpu_clock(), seconds(te));
  run.efficiency = efficiency_points(run.loads, plan.quiet_cores);
  run.machine.seconds = seconds(t0);
  return run;
}

namespace {

/// A YAML double-quoted scalar: JSON string syntax is a subset of it.
std::string yaml_quoted(const std::string& s) { return nlohmann::json(s).dump(); }

/// "; other processes used 0.12 cores meanwhile" (nothing when unknown).
std::string others_text(double cores) {
  if (cores < 0) return "";
  char buf[80];
  std::snprintf(buf, sizeof buf, "; other processes used %.2f cores meanwhile", cores);
  return buf;
}

/// "median of 5 repetitions", or with re-runs "median of 5 repetitions, counting only a
/// kernel's quiet ones where it has any (4 to 5 counted per kernel; a run during which other
/// processes used > 0.15 cores was measured again, 3 times in all)".
std::string repetitions_text(const MemoryRun& run) {
  std::string s = "median of " + std::to_string(run.repetitions) + " repetitions";
  if (run.quiet_cores < 0) return s;
  int reruns = 0, fewest = run.repetitions, most = 0;
  for (const KernelLoad& l : run.loads) reruns += l.reruns;
  for (const EfficiencyPoint& p : run.efficiency)
    if (p.kernel != "node" && p.threads == 1)
      fewest = std::min(fewest, p.repetitions), most = std::max(most, p.repetitions);
  const std::string counted = fewest == most
                                  ? std::to_string(most)
                                  : std::to_string(fewest) + " to " + std::to_string(most);
  char buf[240];
  std::snprintf(buf, sizeof buf,
                ", counting only a kernel's quiet ones where it has any (%s counted per kernel; a "
                "run during which other processes used > %.2f cores was measured again, %d "
                "time%s in all)",
                counted.c_str(), run.quiet_cores, reruns, reruns == 1 ? "" : "s");
  return s + buf;
}

const BandwidthPoint* triad_at_most_threads(const MemoryRun& run) {
  const BandwidthPoint* best = nullptr;
  for (const BandwidthPoint& p : run.bandwidth)
    if (p.kernel == StreamKernel::kTriad && (!best || p.threads > best->threads)) best = &p;
  return best;
}

}  // namespace

std::string efficiency_yaml(const MemoryRun& run) {
  std::string cores, factors, kernels;
  char buf[64];
  for (const EfficiencyPoint& p : run.efficiency) {
    if (p.kernel != "node") {
      if (p.threads == 1) kernels += (kernels.empty() ? "" : ", ") + p.kernel;
      continue;
    }
    cores += (cores.empty() ? "" : ", ") + std::to_string(p.threads);
    std::snprintf(buf, sizeof buf, "%.3f", p.efficiency);
    factors += (factors.empty() ? "" : ", ") + std::string(p.threads == 1 ? "1.0" : buf);
  }
  const MachineInfo& m = run.machine;
  const std::string on = "servesim calib bench memory on " + m.cpu + " (" +
                         std::to_string(m.cores) + " cores, " + m.os + ")";
  const std::string date = m.date.substr(0, 10);
  const std::string eff_source =
      on + "; kernel mix: median over kernels of each kernel's median efficiency (" + kernels +
      "; the medium 500x375 image, 224x224 model input); " + repetitions_text(run) +
      others_text(run.others_efficiency) + "; " + date;
  const BandwidthPoint* triad = triad_at_most_threads(run);
  std::string bw = "0B/s";
  std::string bw_source = on + "; no triad measured";
  if (triad) {
    std::snprintf(buf, sizeof buf, "%.3gGB/s", triad->best_gbps());
    bw = buf;
    std::snprintf(buf, sizeof buf, "%zu MiB", run.array_bytes >> 20);
    bw_source = on + "; STREAM-style triad a[i] = b[i] + s*c[i] (24 B per element) over " + buf +
                " of double arrays, the best of " + std::to_string(run.bandwidth_repeats) +
                " passes at " + std::to_string(triad->threads) + " threads (median pass " +
                shortest(std::round(triad->median_gbps() * 100) / 100) + "GB/s)" +
                others_text(run.others_bandwidth) + "; " + date;
  }
  return "# servesim calib bench memory: the CPU's per-core speed when k cores are busy, and the\n"
         "# host memory bandwidth, of this machine. Include it in a scenario or copy its keys.\n"
         "node:\n  cpu:\n    efficiency:\n      busy_cores: [" +
         cores + "]\n      factor: [" + factors + "]\n      source: " + yaml_quoted(eff_source) +
         "\n  memory:\n    bandwidth: " + bw + "\n    source: " + yaml_quoted(bw_source) + "\n";
}

void write_memory_outputs(const std::filesystem::path& dir, const MemoryRun& run) {
  write_atomically(dir / "memory.csv", memory_csv(run.bandwidth));
  write_atomically(dir / "efficiency.csv", efficiency_csv(run.efficiency));
  write_atomically(dir / "efficiency.yaml", efficiency_yaml(run));
  write_atomically(dir / "machine.yaml", machine_yaml(run.machine));
}

std::string memory_table(const MemoryRun& run) {
  std::string s = "memory bandwidth (GB/s, best / median pass):\n  threads";
  char buf[200];
  for (const StreamKernel k : {StreamKernel::kCopy, StreamKernel::kTriad, StreamKernel::kMemcpy}) {
    std::snprintf(buf, sizeof buf, " %17s", std::string(stream_kernel_name(k)).c_str());
    s += buf;
  }
  int last = 0;
  for (const BandwidthPoint& p : run.bandwidth) {
    if (p.threads != last) {
      std::snprintf(buf, sizeof buf, "\n  %7d", p.threads);
      s += buf;
      last = p.threads;
    }
    std::snprintf(buf, sizeof buf, " %8.2f / %6.2f", p.best_gbps(), p.median_gbps());
    s += buf;
  }
  s += "\n\nCPU efficiency per thread at k busy threads (median [min, max] of " +
       std::to_string(run.repetitions) + " runs):\n";
  for (const EfficiencyPoint& p : run.efficiency) {
    if (p.threads == 1) {
      std::snprintf(buf, sizeof buf, "%s  %-26s %10s", p.kernel == "node" ? "\n" : "",
                    p.kernel == "node" ? "node (median of kernels)" : p.kernel.c_str(),
                    p.per_item_ns > 0
                        ? (shortest(std::round(p.per_item_ns / 100) / 10) + " us").c_str()
                        : "");
      s += buf;
    }
    std::snprintf(buf, sizeof buf, "   k=%d %5.1f%% [%.1f, %.1f]", p.threads, 100 * p.efficiency,
                  100 * p.efficiency_min, 100 * p.efficiency_max);
    s += buf;
    const bool last_of_kernel = &p == &run.efficiency.back() || (&p + 1)->kernel != p.kernel;
    if (last_of_kernel) s += "\n";
  }
  if (run.others_bandwidth >= 0 && run.others_efficiency >= 0) {
    std::snprintf(buf, sizeof buf,
                  "\nother processes used %.2f cores during the bandwidth passes, %.2f during the "
                  "efficiency runs (of %d)\n",
                  run.others_bandwidth, run.others_efficiency, run.machine.cores);
    s += buf;
  }
  return s;
}

}  // namespace servesim::calib
