#include "calib/bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <thread>
#include <tuple>

#include "calib/inference.h"
#include "calib/kernels.h"
#include "calib/memory_bench.h"
#include "calib/timing.h"
#include "sim/config/csv.h"
#include "sim/config/progress.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

/// Keeps the compiler from dropping or moving a kernel's writes around the clock reads.
inline void clobber() { asm volatile("" ::: "memory"); }

/// Writes a buffer of twice the last-level cache (64 MiB when sysfs does not say), one store per
/// cache line, so that what a kernel touched before is out of every cache.
class CacheSweep {
 public:
  CacheSweep() {
    const std::size_t llc = last_level_cache_bytes();
    buf_.assign(2 * (llc > 0 ? llc : std::size_t{32} << 20), 0);
  }
  void operator()() {
    ++value_;
    for (std::size_t i = 0; i < buf_.size(); i += 64) buf_[i] = value_;
    clobber();
  }

 private:
  std::vector<unsigned char> buf_;
  unsigned char value_ = 0;
};

CacheSweep& cache_sweep() {
  static CacheSweep sweep;  // allocated by the first cold bench only
  return sweep;
}

/// What runs, untimed, right before each timed call.
enum class Before {
  kNothing,   // the previous item's call (inference: batch sizes follow each other)
  kSameItem,  // a call of the same item: its data and code warm
  kSweep,     // a CacheSweep: its data cold
  kSteady,    // a run of the same item: kSteadySettle untimed calls, then kSteadyRun timed ones
};

// A steady batch size, as an engine serving a steady load runs it. One untimed call of the same
// batch is not enough after a larger batch has swept the caches: on the 2-vCPU EPYC VM the conv
// kernel's batch 1 (about 4.5 MB of input, im2col columns and output) still took 10-16% longer
// than in a steady stream after one such call, 3-7% after two, 0-4% after three, and batches of
// 3 or more did not differ (docs/validation.md, rung 4, "A steady batch takes three calls").
// So each pass runs a batch size three times untimed and then times it three times in a row:
// about two calls per sample, as one untimed call before each timed one cost.
constexpr int kSteadySettle = 3;
constexpr int kSteadyRun = 3;

struct Job {
  Sample proto;
  std::function<void()> run;
};

/// Times every job: `warmup` untimed passes, then `repeats` timed passes over all of them, each
/// timed call right after `before` (kSteady: `repeats` timed calls of each job in runs of
/// kSteadyRun, so fewer passes). Without kSameItem, kSweep or kSteady the first item of a pass,
/// run after the last (largest) one has flushed the caches, is measured colder than the rest and
/// the small items' curves bend (a 16 kB copy took longer than a 32 kB one).
void time_jobs(const std::string& kernel, const std::vector<Job>& jobs, const BenchPlan& plan,
               std::vector<Sample>& out, std::ostream& log, int repeats, Before before) {
  const auto t0 = Clock::now();
  const int run_length = before == Before::kSteady ? kSteadyRun : 1;
  const int timed_passes = (repeats + run_length - 1) / run_length;
  const int passes = plan.warmup + timed_passes;
  ProgressBar progress(log, plan.progress);  // on a terminal: the passes done, after a second
  auto bar = [&](int done) {
    progress.update(static_cast<std::size_t>(done), static_cast<std::size_t>(passes), kernel,
                    "passes");
  };
  bar(0);
  for (int w = 0; w < plan.warmup; ++w) {
    for (const Job& j : jobs) j.run();
    bar(w + 1);
  }
  for (int r = 0; r < timed_passes; ++r, bar(plan.warmup + r))
    for (const Job& j : jobs) {
      if (before == Before::kSameItem) j.run();
      if (before == Before::kSteady)
        for (int k = 0; k < kSteadySettle; ++k) j.run();
      for (int k = 0; k < std::min(run_length, repeats - r * run_length); ++k) {
        if (before == Before::kSweep) cache_sweep()();
        clobber();
        const auto a = Clock::now();
        j.run();
        clobber();
        const auto b = Clock::now();
        Sample s = j.proto;
        s.seconds = std::chrono::duration<double>(b - a).count();
        out.push_back(std::move(s));
      }
    }
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-28s %3zu items x %2d repeats  %6.1f s\n", kernel.c_str(),
                jobs.size(), repeats, seconds_since(t0));
  progress.finish();
  log << buf << std::flush;
}

Before per_image(const BenchPlan& plan) { return plan.cold ? Before::kSweep : Before::kSameItem; }

double pixels_of(ImageSize s) { return static_cast<double>(s.width) * s.height; }

std::size_t rgb_bytes(ImageSize s) {
  return static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.height) * 3;
}

double quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double f = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

/// Items of a kernel, keyed as the summary groups them.
using ItemKey = std::tuple<std::string, int, int, int, double, double>;

std::map<ItemKey, std::vector<double>> by_item(std::span<const Sample> samples) {
  std::map<ItemKey, std::vector<double>> m;
  for (const Sample& s : samples)
    m[{s.kernel, s.width, s.height, s.quality, s.pixels, s.bytes}].push_back(s.seconds);
  return m;
}

std::string time_text(double s) {
  char buf[32];
  if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  return buf;
}

}  // namespace

BenchPlan bench_plan(bool quick) {
  BenchPlan p;
  // The paper's small (60x70), medium (500x375) and large (3564x2880) ImageNet images, and a
  // spread between, log-spaced in pixels.
  if (quick) {
    p.sizes = {{60, 70}, {224, 224}, {500, 375}, {1024, 768}, {1920, 1080}, {3564, 2880}};
    p.copy_bytes.clear();
    for (std::size_t b = 16 << 10; b <= (std::size_t{64} << 20); b *= 2) p.copy_bytes.push_back(b);
    p.warmup = 1;
    p.repeats = 5;
    p.scaling_passes = 20;
  } else {
    p.sizes = {{60, 70},     {120, 90},    {160, 120},   {224, 224},   {320, 240},
               {500, 375},   {640, 480},   {800, 600},   {1024, 768},  {1280, 960},
               {1600, 1200}, {1920, 1080}, {2560, 1600}, {3000, 2000}, {3564, 2880}};
    for (std::size_t b = 16 << 10; b <= (std::size_t{256} << 20); b *= 2) p.copy_bytes.push_back(b);
    p.warmup = 2;
    p.repeats = 15;
    p.scaling_passes = 60;
  }
  p.qualities = {75, 90, 95};
  p.scale_denoms = {2, 4, 8};
  p.normalize_sides = {224, 256, 288, 320, 384, 448, 512};
  // Powers of two, and (full) the sizes between that a holdout check predicts.
  p.batches = quick ? std::vector<int>{1, 2, 4, 8, 16, 32}
                    : std::vector<int>{1, 2, 3, 4, 8, 16, 24, 32, 48, 64, 96, 128};
  p.inference_repeats = quick ? 3 : 5;
  return p;
}

std::vector<ScalingPoint> decode_scaling(const std::vector<JpegImage>& images, int max_threads,
                                         int passes) {
  std::vector<ScalingPoint> out;
  for (int t = 1; t <= max_threads; ++t) {
    std::vector<double> rates;
    for (int run = 0; run < 3; ++run) {
      std::atomic<int> ready{0};
      std::atomic<bool> go{false};
      std::vector<std::thread> threads;
      threads.reserve(static_cast<std::size_t>(t));
      for (int k = 0; k < t; ++k)
        threads.emplace_back([&] {
          JpegDecoder dec;
          std::vector<unsigned char> rgb;
          for (const JpegImage& img : images) dec.decode(img, 1, 1, rgb);  // warm, and sized
          ready.fetch_add(1);
          while (!go.load()) std::this_thread::yield();
          for (int p = 0; p < passes; ++p)
            for (const JpegImage& img : images) dec.decode(img, 1, 1, rgb);
        });
      while (ready.load() < t) std::this_thread::yield();
      const auto t0 = Clock::now();
      go.store(true);
      for (auto& th : threads) th.join();
      const double wall = seconds_since(t0);
      rates.push_back(static_cast<double>(t) * passes * static_cast<double>(images.size()) / wall);
    }
    std::sort(rates.begin(), rates.end());
    ScalingPoint p;
    p.threads = t;
    p.images_per_s = rates[1];
    p.efficiency = p.images_per_s / (t * (out.empty() ? p.images_per_s : out[0].images_per_s));
    out.push_back(p);
  }
  return out;
}

std::string scaling_csv(std::span<const ScalingPoint> points) {
  std::string s = "threads,images_per_s,efficiency\n";
  char buf[96];
  for (const auto& p : points) {
    std::snprintf(buf, sizeof buf, "%d,%.6g,%.4f\n", p.threads, p.images_per_s, p.efficiency);
    s += buf;
  }
  return s;
}

namespace {

/// JPEG decode of every image of the corpus, at full size and at each of the plan's scales.
void bench_decode(const BenchPlan& plan, const std::vector<JpegImage>& corpus, JpegDecoder& dec,
                  BenchRun& run, std::ostream& log) {
  std::size_t largest = 0;
  for (const auto& s : plan.sizes) largest = std::max(largest, rgb_bytes(s));
  std::vector<unsigned char> rgb(largest);
  auto decode_jobs = [&](int denom) {
    std::vector<Job> jobs;
    for (const JpegImage& img : corpus) {
      Sample p;
      p.kernel =
          denom == 1 ? "jpeg_decode_cpu" : "jpeg_decode_cpu_scale_1_" + std::to_string(denom);
      p.pixels = pixels_of({img.width, img.height});
      p.bytes = static_cast<double>(img.data.size());
      p.width = img.width;
      p.height = img.height;
      p.quality = img.quality;
      p.threads = 1;
      jobs.push_back({p, [&dec, &img, &rgb, denom] { dec.decode(img, 1, denom, rgb); }});
    }
    return jobs;
  };
  time_jobs("jpeg_decode_cpu", decode_jobs(1), plan, run.samples, log, plan.repeats,
            per_image(plan));
  for (const int d : plan.scale_denoms)
    time_jobs("jpeg_decode_cpu_scale_1_" + std::to_string(d), decode_jobs(d), plan, run.samples,
              log, plan.repeats, per_image(plan));
}

/// Decode thread scaling on the medium images (500x375 when the plan has it, else all).
void bench_decode_scaling(const BenchPlan& plan, const std::vector<JpegImage>& corpus,
                          BenchRun& run, std::ostream& log) {
  char buf[160];
  std::vector<JpegImage> medium;
  for (const JpegImage& img : corpus)
    if (img.width == 500 && img.height == 375) medium.push_back(img);
  if (medium.empty()) medium = corpus;
  const auto ts = Clock::now();
  run.scaling = decode_scaling(medium, std::max(run.machine.cores, 1), plan.scaling_passes);
  std::string line;
  for (const auto& p : run.scaling) {
    std::snprintf(buf, sizeof buf, "%s%d: %.0f/s (%.0f%%)", line.empty() ? "" : ", ", p.threads,
                  p.images_per_s, 100 * p.efficiency);
    line += buf;
  }
  std::snprintf(buf, sizeof buf, "  %-28s %-23s  %6.1f s\n", "decode thread scaling",
                (std::to_string(run.scaling.size()) + " thread counts").c_str(), seconds_since(ts));
  log << buf << "    threads " << line << "\n" << std::flush;
}

/// Resizes from each size to the model's input, by each interpolation.
void bench_resize(const BenchPlan& plan, const std::vector<JpegImage>& corpus, JpegDecoder& dec,
                  BenchRun& run, std::ostream& log) {
  // Resize inputs: each size decoded once (the content of its first quality).
  std::vector<std::vector<unsigned char>> decoded;
  for (std::size_t i = 0; i < plan.sizes.size(); ++i) {
    decoded.emplace_back();
    dec.decode(corpus[i * plan.qualities.size()], 1, 1, decoded.back());
  }
  std::vector<unsigned char> model_in(rgb_bytes(plan.model_input));
  for (const Interp interp : {Interp::kLinear, Interp::kArea}) {
    const std::string kernel = "resize_" + std::string(interp_name(interp)) + "_cpu";
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < plan.sizes.size(); ++i) {
      const ImageSize from = plan.sizes[i];
      // OpenCV copies an image already at the target size: a copy, not a resize.
      if (from.width == plan.model_input.width && from.height == plan.model_input.height) continue;
      Sample p;
      p.kernel = kernel;
      p.pixels = pixels_of(from);
      p.bytes = static_cast<double>(rgb_bytes(from));
      p.width = from.width;
      p.height = from.height;
      p.threads = 1;
      jobs.push_back({p, [&, i, from, interp] {
                        resize_rgb(decoded[i], from, model_in, plan.model_input, interp);
                      }});
    }
    time_jobs(kernel, jobs, plan, run.samples, log, plan.repeats, per_image(plan));
  }
}

/// The normalisation to CHW floats at each side of the plan.
void bench_normalize(const BenchPlan& plan, BenchRun& run, std::ostream& log) {
  std::vector<std::vector<unsigned char>> inputs;
  std::size_t most = 0;
  for (const int side : plan.normalize_sides) {
    inputs.push_back(synth_rgb(side, side, plan.seed));
    most = std::max(most, rgb_bytes({side, side}));
  }
  std::vector<float> chw(most);
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < plan.normalize_sides.size(); ++i) {
    const ImageSize s{plan.normalize_sides[i], plan.normalize_sides[i]};
    Sample p;
    p.kernel = "normalize_chw_cpu";
    p.pixels = pixels_of(s);
    p.bytes = static_cast<double>(rgb_bytes(s));
    p.width = s.width;
    p.height = s.height;
    p.threads = 1;
    jobs.push_back({p, [&, i, s] { normalize_chw(inputs[i], s, chw); }});
  }
  time_jobs("normalize_chw_cpu", jobs, plan, run.samples, log, plan.repeats, per_image(plan));
}

/// Host memcpy of each size of the plan.
void bench_memcpy(const BenchPlan& plan, BenchRun& run, std::ostream& log) {
  // Pageable host buffers, written once first so that page faults are not timed.
  const std::size_t most = *std::max_element(plan.copy_bytes.begin(), plan.copy_bytes.end());
  std::vector<unsigned char> src(most, 1), dst(most, 2);
  std::vector<Job> jobs;
  for (const std::size_t n : plan.copy_bytes) {
    Sample p;
    p.kernel = "memcpy_host";
    p.bytes = static_cast<double>(n);
    p.threads = 1;
    jobs.push_back({p, [&src, &dst, n] { std::memcpy(dst.data(), src.data(), n); }});
  }
  // Warm always: the copy's curve is its bandwidth in each cache regime, by size.
  time_jobs("memcpy_host", jobs, plan, run.samples, log, plan.repeats, Before::kSameItem);
}

/// Inference: batch is the input; bytes the batch's input tensor (float32).
void bench_inference(const BenchPlan& plan, BenchRun& run, std::ostream& log) {
  // Milliseconds sweeping megabytes of activations: each call evicts most of what the one
  // before it left, so without steady_batches nothing runs in between.
  const Before batches = plan.steady_batches ? Before::kSteady : Before::kNothing;
  EncoderBlock vit;
  ConvLayer conv;
  auto batch_jobs = [&](const std::string& kernel, double bytes_per_item, auto run_batch) {
    std::vector<Job> jobs;
    for (const int b : plan.batches) {
      Sample p;
      p.kernel = kernel;
      p.batch = b;
      p.bytes = b * bytes_per_item;
      p.threads = 1;
      jobs.push_back({p, [run_batch, b] { run_batch(b); }});
    }
    return jobs;
  };
  auto wanted = [&](std::string_view k) {
    return std::find(plan.inference_kernels.begin(), plan.inference_kernels.end(), k) !=
           plan.inference_kernels.end();
  };
  if (wanted("vit_tiny_block_cpu"))
    time_jobs("vit_tiny_block_cpu",
              batch_jobs("vit_tiny_block_cpu", vit.input_bytes(), [&vit](int b) { vit.run(b); }),
              plan, run.samples, log, plan.inference_repeats, batches);
  if (wanted("conv3x3_cpu"))
    time_jobs("conv3x3_cpu",
              batch_jobs("conv3x3_cpu", conv.input_bytes(), [&conv](int b) { conv.run(b); }), plan,
              run.samples, log, plan.inference_repeats, batches);
}

}  // namespace

BenchRun run_bench(const BenchPlan& plan, std::ostream& log) {
  BenchRun run;
  run.machine = this_machine();
  run.machine.warmup = plan.warmup;
  run.machine.repeats = plan.repeats;
  run.machine.cache = plan.cold ? "cold" : "warm";
  const auto t0 = Clock::now();
  opencv_single_thread();

  log << "servesim calib bench: " << run.machine.cpu << ", " << plan.sizes.size()
      << " image sizes x " << plan.qualities.size() << " qualities, " << plan.repeats
      << " repeats after " << plan.warmup << " warm-up pass(es), " << run.machine.cache
      << " caches\n";
  const auto tc = Clock::now();
  const std::vector<JpegImage> corpus = make_corpus(plan.sizes, plan.qualities, plan.seed);
  double jpeg_bytes = 0, jpeg_pixels = 0;
  for (const auto& j : corpus) {
    jpeg_bytes += static_cast<double>(j.data.size());
    jpeg_pixels += pixels_of({j.width, j.height});
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-28s %3zu JPEGs, %.2f bytes/pixel  %6.1f s\n",
                "corpus (libjpeg-turbo)", corpus.size(), jpeg_bytes / jpeg_pixels,
                seconds_since(tc));
  log << buf << std::flush;

  JpegDecoder dec;
  bench_decode(plan, corpus, dec, run, log);
  if (plan.scaling_passes > 0) bench_decode_scaling(plan, corpus, run, log);
  bench_resize(plan, corpus, dec, run, log);
  bench_normalize(plan, run, log);
  if (!plan.copy_bytes.empty()) bench_memcpy(plan, run, log);
  if (!plan.batches.empty()) bench_inference(plan, run, log);

  run.machine.seconds = seconds_since(t0);
  return run;
}

namespace {

/// Six significant digits: an interpolated quantile's last bits are noise, not data.
std::string g6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string bench_summary_csv(std::span<const Sample> samples) {
  std::string out = "kernel,width,height,quality,pixels,bytes,samples,median_s,p25_s,p75_s\n";
  auto cell = [](int v) { return v > 0 ? std::to_string(v) : std::string(); };
  for (auto& [k, v] : by_item(samples)) {
    const auto& [kernel, w, h, q, px, bytes] = k;
    std::vector<double> t = v;
    out += csv_cell(kernel) + "," + cell(w) + "," + cell(h) + "," + cell(q) + "," + shortest(px) +
           "," + shortest(bytes) + "," + std::to_string(t.size()) + "," + g6(quantile(t, 0.5)) +
           "," + g6(quantile(t, 0.25)) + "," + g6(quantile(t, 0.75)) + "\n";
  }
  return out;
}

std::string bench_summary_table(std::span<const Sample> samples) {
  struct Row {
    std::size_t items = 0, samples = 0;
    double work_lo = 0, work_hi = 0, t_lo = 0, t_hi = 0;
    std::vector<double> spreads;
  };
  std::map<std::string, Row> rows;
  for (auto& [k, v] : by_item(samples)) {
    const auto& [kernel, w, h, q, px, bytes] = k;
    std::vector<double> t = v;
    const double med = quantile(t, 0.5);
    const double work = px > 0 ? px : bytes;
    Row& r = rows[kernel];
    if (r.items == 0 || work < r.work_lo) r.work_lo = work, r.t_lo = med;
    if (r.items == 0 || work > r.work_hi) r.work_hi = work, r.t_hi = med;
    r.items++;
    r.samples += t.size();
    r.spreads.push_back((quantile(t, 0.75) - quantile(t, 0.25)) / med);
  }
  std::string out =
      "kernel                         items  samples  smallest item   largest item    "
      "spread (IQR/median)\n";
  for (auto& [kernel, r] : rows) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%-30s %5zu  %7zu  %-14s  %-14s  %.1f%%\n", kernel.c_str(),
                  r.items, r.samples, time_text(r.t_lo).c_str(), time_text(r.t_hi).c_str(),
                  100 * quantile(r.spreads, 0.5));
    out += buf;
  }
  return out;
}

}  // namespace servesim::calib
