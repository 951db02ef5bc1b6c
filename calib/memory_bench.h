#pragma once
/// `calib bench memory`: this machine's host memory bandwidth (STREAM-style copy and triad, and
/// a large memcpy) at 1 .. cores threads, and how much slower each calib kernel runs per thread
/// when k threads run it at once (the CPU efficiency under load), written as CSV and as the
/// `node.cpu.efficiency` / `node.memory` YAML fragment the simulator reads.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calib/corpus.h"
#include "calib/machine.h"
#include "sim/config/progress.h"

namespace servesim::calib {

struct MemoryPlan {
  /// Bytes of the three double arrays together (a, b, c); 0: the larger of 256 MiB and 4 x the
  /// last-level cache, so that every pass streams from memory.
  std::size_t array_bytes = 0;
  int bandwidth_repeats = 10;       // timed passes per kernel and thread count (after one untimed)
  double efficiency_seconds = 0.5;  // each kernel's run at each thread count
  int efficiency_repeats = 5;       // runs of every kernel at every thread count
  /// A kernel's run (k = 1 .. max_threads) during which other processes used more than this
  /// many cores is measured again, up to `max_reruns` times, and left out of the statistics
  /// when the kernel has quieter runs; negative: never.
  double quiet_cores = 0.15;
  int max_reruns = 4;
  int max_threads = 0;        // 0: the logical CPUs this process may use
  ImageSize image{500, 375};  // the corpus' medium image (decode, resize, memcpy inputs)
  std::vector<int> qualities{75, 90, 95};
  ImageSize model_input{224, 224};   // resize target and normalise input
  std::vector<std::string> kernels;  // efficiency kernels to run; empty: all of them
  std::uint64_t seed = 1;
  bool progress = false;  // a progress bar on the log (the CLI: stderr on a terminal, not -q)
};

/// quick: 5 bandwidth passes, 3 runs of 0.2 s per kernel and thread count (about 15 s on 2
/// cores); full: 10 passes, 5 runs of 0.5 s (about a minute).
MemoryPlan memory_plan(bool quick);

/// The last-level cache from /sys/devices/system/cpu/cpu0/cache (the highest level's size), in
/// bytes; 0 when it cannot be read.
std::size_t last_level_cache_bytes();

/// The arrays' total bytes a plan uses: plan.array_bytes, or max(256 MiB, 4 x llc).
std::size_t memory_array_bytes(const MemoryPlan& plan, std::size_t llc);

enum class StreamKernel { kCopy, kTriad, kMemcpy };
std::string_view stream_kernel_name(StreamKernel k);  // "copy", "triad", "memcpy"

/// Bytes one pass of `k` over `elements` doubles moves, counted as STREAM counts them (what the
/// program reads and writes, not the write-allocate traffic a cache adds): copy a[i] = b[i] 16 B
/// per element, triad a[i] = b[i] + s * c[i] 24 B, memcpy of the elements' 8 B each 16 B (read
/// and written).
double stream_bytes(StreamKernel k, std::size_t elements);

/// One kernel at one thread count: the best and the median of its timed passes.
struct BandwidthPoint {
  int threads = 1;
  StreamKernel kernel = StreamKernel::kCopy;
  double bytes = 0;  // per pass, all threads together
  double best_s = 0;
  double median_s = 0;
  double best_gbps() const { return bytes / best_s / 1e9; }
  double median_gbps() const { return bytes / median_s / 1e9; }
};

/// Copy, triad and memcpy over `array_bytes` of doubles, at 1 .. max_threads threads: each thread
/// its own contiguous slice, all started together by a barrier per pass; one untimed pass, then
/// `repeats` timed ones. Checks the arrays' values afterwards (a kernel the compiler dropped
/// throws std::runtime_error).
/// `bar`, when given, shows the thread counts done (erased while a line is logged).
std::vector<BandwidthPoint> measure_bandwidth(std::size_t array_bytes, int max_threads, int repeats,
                                              std::ostream& log, ProgressBar* bar = nullptr);

/// threads,kernel,bytes,best_s,median_s,best_GBps,median_GBps
std::string memory_csv(std::span<const BandwidthPoint> points);

/// One kernel's runs: per_item_ns[r][k - 1] is the time per item per thread of run r with k
/// threads running the kernel at once.
struct KernelLoad {
  std::string kernel;
  std::vector<std::vector<double>> per_item_ns;
  std::vector<double> others_cores;  // per run: cores other processes used (-1: unknown)
  int reruns = 0;                    // runs measured again because others were busy
};

/// A kernel's (or, kernel "node", the node's) efficiency at k busy threads.
struct EfficiencyPoint {
  std::string kernel;
  int threads = 1;
  int repetitions = 0;     // the runs counted (the node: runs with any kernel counted)
  double per_item_ns = 0;  // median over runs (0 for the node row)
  double efficiency = 1;   // median over runs of t(1) / t(k), each run against its own t(1)
  double efficiency_min = 1;
  double efficiency_max = 1;
  double others_max = -1;  // the most cores other processes used in one of its runs (-1: unknown)
};

/// Each kernel's points, kernel by kernel, then the node's: at each k, the median over kernels
/// of their median efficiencies, its min and max the extremes over runs of the per-run median
/// over kernels. Efficiency at k = 1 is 1 by construction. With quiet_cores >= 0, a kernel's
/// statistics come from its runs during which other processes used at most that many cores
/// (KernelLoad::others_cores), when it has any; else from all its runs. Throws
/// std::invalid_argument when a kernel has no runs or runs of different lengths.
std::vector<EfficiencyPoint> efficiency_points(std::span<const KernelLoad> loads,
                                               double quiet_cores = -1);

/// kernel,threads,repetitions,per_item_ns,efficiency,efficiency_min,efficiency_max,others_max
std::string efficiency_csv(std::span<const EfficiencyPoint> points);

/// The efficiency kernels, in the order they run: those calib bench times, on the medium image.
std::vector<std::string> efficiency_kernel_names();

/// Runs every kernel of the plan in plan.efficiency_repeats rounds; in each, k = 1 .. max_threads
/// threads each run it in a loop for plan.efficiency_seconds, started together; only items
/// finished while all k were still running count. A kernel's run during which other processes
/// used more than plan.quiet_cores is measured again (at most plan.max_reruns times; the last
/// is kept). Throws std::invalid_argument for a kernel name it does not know.
/// `bar`, when given, shows the kernel runs done (erased while a line is logged).
std::vector<KernelLoad> measure_efficiency(const MemoryPlan& plan, int max_threads,
                                           std::ostream& log, ProgressBar* bar = nullptr);

struct MemoryRun {
  std::vector<BandwidthPoint> bandwidth;
  std::vector<KernelLoad> loads;
  std::vector<EfficiencyPoint> efficiency;
  std::size_t array_bytes = 0, llc_bytes = 0;
  int repetitions = 0;        // efficiency runs
  double quiet_cores = -1;    // the plan's: runs with busier neighbours were measured again
  int bandwidth_repeats = 0;  // timed passes per bandwidth point
  /// Cores other processes used meanwhile (/proc/stat less this process), -1 when unknown:
  /// during the bandwidth passes and during the efficiency runs.
  double others_bandwidth = -1, others_efficiency = -1;
  MachineInfo machine;
};

/// The whole bench: bandwidth, then efficiency, on this machine.
MemoryRun run_memory_bench(const MemoryPlan& plan, std::ostream& log);

/// The `node:` fragment: cpu.efficiency (busy_cores, factor: the node rows, source) and
/// cpu.memory (bandwidth: triad's best at the most threads, source).
std::string efficiency_yaml(const MemoryRun& run);

/// Writes memory.csv, efficiency.csv, efficiency.yaml and machine.yaml into `dir` (which must
/// exist), each whole.
void write_memory_outputs(const std::filesystem::path& dir, const MemoryRun& run);

/// The short table the verb prints: bandwidth by threads, efficiency by kernel and k.
std::string memory_table(const MemoryRun& run);

}  // namespace servesim::calib
