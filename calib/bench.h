#pragma once
/// The calibration benchmark: every kernel (on the synthetic corpus, or at each batch size),
/// warmed up, then timed call by call, repeatedly; one Sample per timed call.

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "calib/corpus.h"
#include "calib/machine.h"
#include "calib/samples.h"

namespace servesim::calib {

struct BenchPlan {
  std::vector<ImageSize> sizes;         // JPEG corpus (decode, resize inputs)
  std::vector<int> qualities;           // JPEG qualities of each size
  std::vector<int> scale_denoms;        // DCT-domain scaling 1/d decodes besides the full one
  std::vector<int> normalize_sides;     // square model inputs normalised to float CHW
  std::vector<std::size_t> copy_bytes;  // host memcpy sizes (none: not timed)
  std::vector<int> batches;             // inference kernels' batch sizes
  int inference_repeats = 3;            // their samples per batch size (a batch of 128: seconds)
  /// Which inference kernels (vit_tiny_block_cpu, conv3x3_cpu) are timed.
  std::vector<std::string> inference_kernels{"vit_tiny_block_cpu", "conv3x3_cpu"};
  ImageSize model_input{224, 224};  // resize target
  int scaling_passes = 20;          // thread scaling: passes over its images per thread (0: none)
  /// Each per-image call (decode, resize, normalise) starts with its data out of every cache, as
  /// a serving worker's call on a new request does: a buffer of twice the last-level cache is
  /// written before it (untimed). Otherwise it is timed warm, right after an untimed call of the
  /// same item (docs/calibration.md, section 1).
  bool cold = false;
  /// Inference is timed at a steady batch size, as an engine serving a steady load runs it: each
  /// pass runs a batch size three times untimed, then times it three times in a row (so
  /// `inference_repeats` samples take a third as many passes); otherwise the batch sizes follow
  /// each other.
  bool steady_batches = false;
  int warmup = 1;          // untimed passes over each kernel's items
  int repeats = 5;         // timed passes
  std::uint64_t seed = 1;  // corpus content
  bool progress = false;   // draw a progress bar per kernel in the log (a terminal)
};

/// The plan of `calib bench` (quick: well under 2 minutes on 2 cores; full: every size, more
/// repeats).
BenchPlan bench_plan(bool quick);

/// Decode thread scaling: `threads` threads decoding at once, each its own images.
struct ScalingPoint {
  int threads = 1;
  double images_per_s = 0;  // all threads together (the median of 3 runs)
  double efficiency = 0;    // images_per_s / (threads * the 1-thread rate)
};

struct BenchRun {
  std::vector<Sample> samples;
  std::vector<ScalingPoint> scaling;  // 1 .. machine.cores threads
  MachineInfo machine;
};

/// Thread scaling of full JPEG decode over `images`: for t = 1 .. max_threads, t threads each
/// decode every image `passes` times (own decoder and buffer), started together; the aggregate
/// rate is the median of 3 runs. What servesim's CPU pool assumes is efficiency 1 up to the core
/// count; shared caches, memory bandwidth and SMT siblings pull it below.
std::vector<ScalingPoint> decode_scaling(const std::vector<JpegImage>& images, int max_threads,
                                         int passes);

/// The scaling points as CSV: threads,images_per_s,efficiency.
std::string scaling_csv(std::span<const ScalingPoint> points);

/// Runs the plan on one core, writing a line per kernel to `log`. Each kernel's items are timed
/// in passes (every item once, then again), so that a burst of interference from other work on
/// the machine spreads over items rather than falling on one.
BenchRun run_bench(const BenchPlan& plan, std::ostream& log);

/// Per kernel and item (size, quality, bytes): samples, median and the 25th/75th percentiles,
/// as CSV (kernel,width,height,quality,pixels,bytes,samples,median_s,p25_s,p75_s).
std::string bench_summary_csv(std::span<const Sample> samples);

/// A short table per kernel: items, samples, the median time of its smallest and largest item,
/// and the median spread (interquartile range / median) over its items.
std::string bench_summary_table(std::span<const Sample> samples);

}  // namespace servesim::calib
