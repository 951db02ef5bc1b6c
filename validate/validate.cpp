#include "validate/validate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "calib/bench.h"
#include "calib/corpus.h"
#include "calib/curve_writer.h"
#include "calib/fit.h"
#include "calib/infer_bench.h"
#include "calib/machine.h"
#include "sim/config/atomic_file.h"
#include "sim/config/error.h"
#include "sim/config/progress.h"
#include "sim/run/replications.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"
#include "validate/calibration.h"
#include "validate/handoff.h"
#include "validate/speed_check.h"

namespace servesim::validate {

namespace fs = std::filesystem;

namespace {

using calib::ImageSize;
using calib::JpegImage;
using calib::Sample;

struct SizeSpec {
  std::string name;
  ImageSize size;
};

/// The two batching settings compared: none (batches of 1), and Triton's dynamic batching with
/// a delay long enough to matter at low load.
struct Setting {
  int max_batch_size;
  int delay_us;
};
constexpr Setting kNoBatching{1, 0};
constexpr Setting kBatching{8, 2000};

/// A configuration before it runs; open-loop rates are a fraction of the simulated capacity.
struct Config {
  ValidationRow row;
  double load = 0;  // open: the rate as a fraction of the predicted capacity
};

struct Plan {
  std::vector<SizeSpec> sizes{{"small", {256, 256}}, {"medium", {500, 375}}};
  std::vector<int> qualities{75, 85, 95};
  ImageSize model_input{224, 224};
  std::vector<Config> configs;
  double warmup_s = 1, window_s = 6;
};

ValidationRow closed_row(const std::string& size, int concurrency, int workers, Setting s) {
  ValidationRow r;
  r.size = size;
  r.concurrency = concurrency;
  r.workers = workers;
  r.max_batch_size = s.max_batch_size;
  r.max_queue_delay_us = s.delay_us;
  return r;
}

Config open_config(const std::string& size, double load, int workers, Setting s) {
  Config c{closed_row(size, 0, workers, s), load};
  c.row.open = true;
  return c;
}

Plan make_direct_plan(bool quick, int cores) {
  Plan p;
  if (quick) {
    p.warmup_s = 0.5;
    p.window_s = 2.5;
    const int w = std::min(2, cores);
    p.configs = {Config{closed_row("medium", 1, 1, kNoBatching), 0},
                 Config{closed_row("medium", 16, w, kBatching), 0},
                 open_config("medium", 0.7, w, kBatching),
                 Config{closed_row("small", 1, 1, kBatching), 0},
                 Config{closed_row("small", 16, 1, kNoBatching), 0},
                 Config{closed_row("small", 64, w, kBatching), 0}};
    return p;
  }
  std::vector<int> workers;
  for (int w = 1; w < cores; w *= 2) workers.push_back(w);
  workers.push_back(cores);
  for (const auto& size : p.sizes) {
    for (const int w : workers)
      for (const Setting s : {kNoBatching, kBatching})
        for (const int c : {1, 4, 16, 64})
          p.configs.push_back(Config{closed_row(size.name, c, w, s), 0});
    for (const double load : {0.5, 0.8})
      p.configs.push_back(open_config(size.name, load, cores, kBatching));
  }
  return p;
}

Plan make_plan(bool quick, int cores, Ingest ingest) {
  Plan p = make_direct_plan(quick, cores);
  if (ingest == Ingest::kDirect) return p;
  // The HTTP clients are a closed loop (validate/pipeline.h): the open loops are left out.
  std::erase_if(p.configs, [](const Config& c) { return c.row.open; });
  for (Config& c : p.configs) c.row.ingest = ingest;
  return p;
}

std::string label(const ValidationRow& r) {
  char buf[96];
  std::snprintf(
      buf, sizeof buf, "%s %s w=%d b=%d/%dus", r.size.c_str(),
      r.open ? ("open " + std::to_string(static_cast<int>(std::lround(r.rate))) + "/s").c_str()
             : ("closed c=" + std::to_string(r.concurrency)).c_str(),
      r.workers, r.max_batch_size, r.max_queue_delay_us);
  return r.ingest == Ingest::kDirect ? std::string(buf) : buf + std::string(" http");
}

/// The label column's width: label()s of HTTP rows are 5 characters longer.
int label_width(const std::vector<ValidationRow>& rows) {
  return !rows.empty() && rows.front().ingest == Ingest::kHttp ? 39 : 34;
}

}  // namespace

std::vector<std::string> overrides_of(const ValidationRow& r) {
  std::vector<std::string> o;
  if (r.ingest == Ingest::kHttp)  // closed; the scenario's workload has the client
    o.push_back("workload.concurrency=" + std::to_string(r.concurrency));
  else if (r.open)
    o.push_back(
        "workload={mode: open, rate: " + std::to_string(static_cast<long>(std::lround(r.rate))) +
        "/s, arrival: poisson, images: corpus}");
  else
    o.push_back("workload={mode: closed, concurrency: " + std::to_string(r.concurrency) +
                ", images: corpus}");
  if (r.ingest == Ingest::kHttp)  // a server thread per client (validate/pipeline.h)
    o.push_back("pipeline.frontend.instances=" + std::to_string(r.concurrency));
  o.push_back("pipeline.preprocess.instances=" + std::to_string(r.workers));
  std::string b = "pipeline.infer.batching={max_batch_size: " + std::to_string(r.max_batch_size);
  if (r.max_queue_delay_us > 0)
    b += ", max_queue_delay: " + std::to_string(r.max_queue_delay_us) + "us";
  o.push_back(b + "}");
  return o;
}

namespace {

std::string scenario_path(const fs::path& dir, const std::string& size) {
  return (dir / ("validate-" + size + ".yaml")).string();
}

const StageSummary* stage(const RunSummary& s, std::string_view name) {
  for (const auto& st : s.stages)
    if (st.name == name) return &st;
  return nullptr;
}

RunSummary simulate_with(const ValidationRow& r, const fs::path& dir,
                         const std::vector<std::string>& overrides) {
  const LoadedScenario sc = load_scenario(scenario_path(dir, r.size), overrides);
  return run_scenario(sc.params,
                      static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

/// Time a stage's threads spent ready but not running, in cores: each batch's `wait` phase,
/// batches per second of them.
double wait_cores(const RunSummary& s, std::string_view name) {
  const StageSummary* st = stage(s, name);
  if (!st || st->batch_mean <= 0) return 0;
  return s.throughput_rps.mean / st->batch_mean * st->wait_ms * 1e-3;
}

ValidationRow::Prediction prediction(const RunSummary& s) {
  return {s.throughput_rps.mean, s.p50_ms, s.p99_ms, wait_cores(s, "preprocess"),
          wait_cores(s, "infer")};
}

/// The simulation of r with `overrides` and each of kAblations in turn.
std::vector<ValidationRow::Prediction> ablate(const ValidationRow& r, const fs::path& dir,
                                              const std::vector<std::string>& overrides) {
  std::vector<ValidationRow::Prediction> out;
  for (const Ablation& a : kAblations) {
    std::vector<std::string> o = overrides;
    o.emplace_back(a.override);
    out.push_back(prediction(simulate_with(r, dir, o)));
  }
  return out;
}

void simulate(ValidationRow& r, const fs::path& dir, bool with_ablations = true) {
  r.overrides = overrides_of(r);
  const RunSummary s = simulate_with(r, dir, r.overrides);
  r.sim_throughput = s.throughput_rps.mean;
  r.sim_p50_ms = s.p50_ms;
  r.sim_p99_ms = s.p99_ms;
  if (const StageSummary* p = stage(s, "preprocess")) {
    r.sim_pre_queue_ms = p->queue_ms.mean;
    r.sim_pre_service_ms = p->service_ms.mean;
  }
  if (const StageSummary* p = stage(s, "infer")) {
    r.sim_inf_queue_ms = p->queue_ms.mean;
    r.sim_inf_service_ms = p->service_ms.mean;
    r.sim_batch_mean = p->batch_mean;
  }
  r.sim_pre_wait_cores = wait_cores(s, "preprocess");
  r.sim_inf_wait_cores = wait_cores(s, "infer");
  if (with_ablations) r.ablations = ablate(r, dir, r.overrides);
}

/// r's overrides with each stage's curve scaled: its kernels take `pre` and `infer` times their
/// calibrated time (`speedup` = 1 / ratio).
std::vector<std::string> scaled(const ValidationRow& r, double pre, double infer) {
  std::vector<std::string> o = r.overrides;
  char buf[96];
  std::snprintf(buf, sizeof buf, "pipeline.preprocess.speedup=%.6g", 1 / pre);
  o.emplace_back(buf);
  std::snprintf(buf, sizeof buf, "pipeline.infer.speedup=%.6g", 1 / infer);
  o.emplace_back(buf);
  return o;
}

/// r's prediction given the machine's speed before its run (r.speed, speed_check.h).
void simulate_checked(ValidationRow& r, const fs::path& dir) {
  if (!(r.speed.preprocess > 0 && r.speed.infer > 0)) return;
  r.checked = prediction(simulate_with(r, dir, scaled(r, r.speed.preprocess, r.speed.infer)));
}

/// The simulation of r again, with each stage's service scaled by its measured demand ratio.
void simulate_measured_demand(ValidationRow& r, const fs::path& dir) {
  if (!(r.preprocess_demand_ratio > 0 && r.infer_demand_ratio > 0)) return;
  const std::vector<std::string> o = scaled(r, r.preprocess_demand_ratio, r.infer_demand_ratio);
  const RunSummary s = simulate_with(r, dir, o);
  r.md_throughput = s.throughput_rps.mean;
  r.md_p50_ms = s.p50_ms;
  r.md_p99_ms = s.p99_ms;
  r.md_ablations = ablate(r, dir, o);
}

using Clock = std::chrono::steady_clock;

/// What the calibration gives the later steps: the corpus by size, the fitted curves, and how
/// busy the machine was meanwhile.
struct Calibration {
  calib::BenchRun bench;
  std::vector<std::vector<JpegImage>> images;  // by size, as plan.sizes
  std::vector<Curve> pre_curves;               // by size, as plan.sizes
  Curve infer_curve;
  std::vector<double> handoffs;
  std::string stalls;  // node.cpu.stalls' and .slowdowns' entries for the scenarios (empty: none)
  double other_cores = -1;
  std::optional<HttpCalibration> http;  // HTTP ingest
};

/// The kernels of `bp` timed by calib's bench; when `kernel` is a framework's network
/// ("<model>_<framework>"), that network too, by calib bench infer's loop on one thread at bp's
/// batches, `net_repeats` passes.
calib::BenchRun time_kernels(const std::string& kernel, const calib::BenchPlan& bp, int net_repeats,
                             std::ostream& log) {
  calib::BenchRun run = calib::run_bench(bp, log);
  if (kernel != kConv3x3Kernel && kernel != kVitTinyKernel) {
    calib::InferPlan ip;
    const auto [framework, model] = calib::infer_kernel_parts(kernel);
    ip.frameworks = {framework};
    ip.models = {model};
    ip.batches = bp.batches;
    ip.repeats = net_repeats;
    ip.threads = 1;
    const calib::InferRun net = calib::run_infer_bench(ip, log);
    run.samples.insert(run.samples.end(), net.samples.begin(), net.samples.end());
  }
  return run;
}

/// Step 1's benchmark: calib's, of exactly the kernels, sizes and batches the pipeline uses,
/// each on one core in isolation; then the thread hand-offs.
Calibration benchmark(const ValidateOptions& o, const Plan& plan, int cores, calib::BenchPlan& bp,
                      std::ostream& out) {
  Calibration cal;
  int max_batch = 1;
  for (const auto& c : plan.configs) max_batch = std::max(max_batch, c.row.max_batch_size);
  for (const auto& s : plan.sizes) bp.sizes.push_back(s.size);
  bp.qualities = plan.qualities;
  bp.scale_denoms.clear();
  bp.normalize_sides = {plan.model_input.width};
  bp.copy_bytes = {16 << 10};
  for (int b = 1; b <= max_batch; ++b) bp.batches.push_back(b);
  bp.model_input = plan.model_input;
  bp.warmup = o.quick ? 1 : 2;
  bp.repeats = o.quick ? 5 : 10;
  // The kernels as the pipeline runs them (docs/validation.md, rung 4, "Calibrated as the
  // pipeline runs its kernels"): preprocessing on a new request's data, out of every cache;
  // inference at a steady batch size, over passes spread across seconds rather than a fraction
  // of one, so that one slow stretch of a shared machine does not set the curve.
  bp.cold = true;
  bp.steady_batches = true;
  // A framework's network (o.kernel "<model>_<framework>") is timed by calib bench infer's
  // own loop, on one thread, at every batch the pipeline may form; calib's kernels by calib's.
  const bool network = o.kernel != kConv3x3Kernel && o.kernel != kVitTinyKernel;
  if (!network)
    bp.inference_kernels = {o.kernel};
  else
    bp.inference_kernels.clear();
  bp.inference_repeats = o.quick ? 20 : 40;
  const CpuClock cal0 = cpu_clock();
  const auto cal_t0 = Clock::now();
  cal.bench = time_kernels(o.kernel, bp, o.quick ? 3 : 6, out);
  const CpuClock cal1 = cpu_clock();
  cal.other_cores =
      other_load(cal0, cal1, std::chrono::duration<double>(Clock::now() - cal_t0).count());
  {
    char b[96];
    std::snprintf(b, sizeof b, "  other processes used %.2f of %d cores during the calibration\n",
                  cal.other_cores, cores);
    out << b;
  }
  // When the cores run nothing, or slower (docs/calibration.md 8c).
  cal.stalls = measure_core_interruptions(o.quick, cal.bench.machine, out);
  // The hand-offs between threads, with 1 ms of work between (the stages' times are 1 to 5 ms).
  cal.handoffs = measure_handoffs(o.quick ? 400 : 1500, 1e-3);
  {
    std::vector<double> h = cal.handoffs;
    std::sort(h.begin(), h.end());
    double mean = 0;
    for (const double x : h) mean += x / static_cast<double>(h.size());
    char b[200];
    std::snprintf(b, sizeof b,
                  "  thread hand-off (wake-up) latency: %zu hand-offs, mean %.0f us, p50 %.0f us, "
                  "p99 %.0f us, max %.0f us\n",
                  h.size(), mean * 1e6, nearest_rank(h, 0.5) * 1e6, nearest_rank(h, 0.99) * 1e6,
                  h.back() * 1e6);
    out << b;
  }
  const std::vector<JpegImage> corpus = calib::make_corpus(bp.sizes, bp.qualities, bp.seed);
  cal.images.resize(plan.sizes.size());
  for (const auto& j : corpus)
    for (std::size_t i = 0; i < plan.sizes.size(); ++i)
      if (j.width == plan.sizes[i].size.width && j.height == plan.sizes[i].size.height)
        cal.images[i].push_back(j);
  if (o.ingest == Ingest::kHttp) {
    cal.http = calibrate_http(corpus, o.quick, cal.bench.samples,
                              "measured on " + calib::machine_summary(cal.bench.machine), out);
    cal.bench.samples.insert(cal.bench.samples.end(), cal.http->samples.begin(),
                             cal.http->samples.end());
  }
  cal.bench.machine.command = std::string("servesim validate") + (o.quick ? " --quick" : "") +
                              (o.ingest == Ingest::kHttp ? " --ingest http" : "");
  return cal;
}

/// Step 1's curves, fitted to the benchmark, written with the scenarios beside them.
void fit_curves(Calibration& cal, const Plan& plan, const std::string& kernel, const fs::path& dir,
                std::ostream& out) {
  const calib::BenchRun& bench = cal.bench;
  write_atomically(dir / "validate-samples.csv", calib::samples_csv(bench.samples));
  write_atomically(dir / "validate-machine.yaml", calib::machine_yaml(bench.machine));
  const std::string machine = "measured on " + calib::machine_summary(bench.machine);

  const std::vector<std::vector<JpegImage>>& images = cal.images;
  std::vector<calib::NamedCurve> curves;
  const Fitted norm = fit(bench.samples, "normalize_chw_cpu", &plan.model_input,
                          "normalize_chw_" + std::to_string(plan.model_input.width), machine);
  curves.push_back(norm.named);
  for (std::size_t i = 0; i < plan.sizes.size(); ++i) {
    const SizeSpec& s = plan.sizes[i];
    const Fitted dec =
        fit(bench.samples, "jpeg_decode_cpu", &s.size, "jpeg_decode_" + s.name, machine);
    const Fitted rs =
        fit(bench.samples, "resize_linear_cpu", &s.size, "resize_linear_" + s.name, machine);
    curves.push_back(dec.named);
    curves.push_back(rs.named);
    curves.push_back(preprocess_curve(s.name, s.size, images[i], dec, rs, norm, plan.model_input));
    cal.pre_curves.push_back(curves.back().curve);
  }
  {
    // Inference: a function of the batch size alone (the kernel's input is fixed per image).
    std::vector<Sample> inf;
    for (const Sample& s : bench.samples)
      if (s.kernel == kernel) {
        inf.push_back(s);
        inf.back().pixels = 0;
        inf.back().bytes = 0;
      }
    Fitted f = fit(inf, kernel, nullptr, "infer", machine);
    curves.push_back(f.named);
  }
  cal.infer_curve = curves.back().curve;
  if (cal.http) {
    curves.push_back(cal.http->client.named);
    curves.push_back(cal.http->server.named);
  }
  for (const auto& c : curves) out << "  " << c.comments.front() << "\n";
  const std::vector<std::string> header{
      "Service-time curves of `servesim validate`, fitted to isolated microbenchmarks of this",
      "machine (calib bench; samples in validate-samples.csv, machine in validate-machine.yaml)."};
  write_atomically(dir / "validate-curves.yaml", calib::curves_yaml(curves, header));
  for (std::size_t i = 0; i < plan.sizes.size(); ++i)
    write_atomically(scenario_path(dir, plan.sizes[i].name),
                     scenario_yaml(plan.sizes[i].name, plan.sizes[i].size, images[i], bench.machine,
                                   1, cal.handoffs, cal.http ? &*cal.http : nullptr, cal.stalls));
}

/// Step 2: the predictions (deterministic). An open loop runs at a fraction of the capacity the
/// simulator predicts for the same pipeline under a closed loop of 64 clients.
void predict(Plan& plan, const fs::path& dir) {
  std::string runs;
  for (auto& c : plan.configs) {
    if (c.row.open) {
      ValidationRow cap = c.row;
      cap.open = false;
      cap.concurrency = 64;
      simulate(cap, dir, false);  // only its throughput is used
      c.row.rate = std::max(1.0, std::round(c.load * cap.sim_throughput));
    }
    simulate(c.row, dir);
    runs += "servesim run " + scenario_path(dir, c.row.size);
    for (const auto& s : c.row.overrides) runs += " --set '" + s + "'";
    runs += "\n";
  }
  write_atomically(dir / "validate-runs.txt", runs);
}

/// Step 3: the real pipeline, one configuration at a time.
std::vector<ValidationRow> measure(Plan& plan, const ValidateOptions& o, const Calibration& cal,
                                   const calib::BenchPlan& bp, std::ostream& out) {
  std::vector<ValidationRow> rows;
  ProgressBar bar(o.progress ? *o.progress : out, o.progress != nullptr);
  for (auto& c : plan.configs) {
    bar.update(rows.size(), plan.configs.size(), "validate", "configurations");
    ValidationRow& r = c.row;
    std::size_t si = 0;
    while (plan.sizes[si].name != r.size) ++si;
    PipelineConfig pc;
    pc.open = r.open;
    pc.concurrency = r.concurrency;
    pc.rate = r.rate;
    pc.preprocess_workers = r.workers;
    pc.model_input = plan.model_input;
    pc.kernel = o.kernel;
    pc.max_batch_size = r.max_batch_size;
    pc.ingest = r.ingest;  // HTTP: a server thread per client (server_threads 0)
    pc.warmup_s = plan.warmup_s;
    pc.window_s = plan.window_s;
    BatchingParams bpar;
    bpar.max_batch_size = r.max_batch_size;
    bpar.max_queue_delay = static_cast<Time>(r.max_queue_delay_us) * 1000;
    TritonBatchPolicy policy(bpar);
    {  // the machine's speed now, against the calibration (speed_check.h)
      std::ostringstream log;
      const calib::BenchRun now =
          time_kernels(o.kernel,
                       speed_check_plan(bp, cal.bench.samples, o.kernel, plan.sizes[si].size,
                                        r.max_batch_size, o.quick),
                       1, log);
      r.speed = speed_ratios(cal.bench.samples, now.samples, plan.sizes[si].size, o.kernel);
    }
    const CpuClock c0 = cpu_clock();
    const auto w0 = Clock::now();
    r.measured = run_pipeline(pc, cal.images[si], policy);
    const double wall = std::chrono::duration<double>(Clock::now() - w0).count();
    const CpuClock c1 = cpu_clock();
    if (c0.machine_busy_s >= 0 && c1.machine_busy_s >= 0)
      r.other_load_cores = other_load(c0, c1, wall);
    r.measured.latencies_s.clear();
    demand_ratios(r, cal.pre_curves[si], cal.images[si], cal.infer_curve);
    r.preprocess_spread = call_spread(r.measured.preprocess_calls, cal.pre_curves[si]);
    r.infer_spread = call_spread(r.measured.infer_calls, cal.infer_curve);
    if (cal.http)
      ingest_demand_ratios(r, cal.http->client.named.curve, cal.http->server.named.curve,
                           cal.images[si]);
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "  %-*s %8.1f/s (predicted %8.1f/s), other processes %.2f cores\n",
                  r.ingest == Ingest::kHttp ? 39 : 34, label(r).c_str(), r.measured.throughput_rps,
                  r.sim_throughput, r.other_load_cores);
    bar.finish();
    out << buf << std::flush;
    rows.push_back(r);
  }
  return rows;
}

/// Step 4: predicted against measured; returns the median throughput error.
double compare(const std::vector<ValidationRow>& rows, std::ostream& out) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-*s %8s %8s %7s | %7s %7s %7s | %7s %7s %7s | %5s %5s | %5s\n",
                label_width(rows), "configuration", "X meas", "X pred", "err", "p50 ms", "pred",
                "err", "p99 ms", "pred", "err", "batch", "pred", "other");
  out << buf;
  Errors pred;
  for (const auto& r : rows) {
    const auto& m = r.measured;
    pred.add(m, r.sim_throughput, r.sim_p50_ms, r.sim_p99_ms);
    std::snprintf(
        buf, sizeof buf,
        "  %-*s %8.1f %8.1f %7s | %7.2f %7.2f %7s | %7.2f %7.2f %7s | %5.2f %5.2f | %5.2f\n",
        label_width(rows), label(r).c_str(), m.throughput_rps, r.sim_throughput,
        signed_percent(pred.throughput.back()).c_str(), m.p50_s * 1e3, r.sim_p50_ms,
        signed_percent(pred.p50.back()).c_str(), m.p99_s * 1e3, r.sim_p99_ms,
        signed_percent(pred.p99.back()).c_str(), m.batch_mean, r.sim_batch_mean,
        r.other_load_cores);
    out << buf;
  }
  const double mx = median_abs(pred.throughput);
  out << "\n  |error| median / worst: " << pred.summary() << " (" << rows.size()
      << " configurations, ingest "
      << ingest_name(rows.empty() ? Ingest::kDirect : rows.front().ingest) << ")\n"
      << "  (other: CPU cores other processes used during the run; the simulated machine has "
         "none)\n";
  print_ablation_errors(rows, false, out);
  return mx;
}

/// Steps 5 and 6: a table of the predictions rerun with each stage's service scaled by a ratio
/// (step 5: the speed before the run; step 6: the demand during it), whose errors it gathers.
class ScaledTable {
 public:
  ScaledTable(const std::vector<ValidationRow>& rows, std::ostream& out)
      : width_(label_width(rows)), out_(out) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-*s %6s %6s | %8s %7s | %7s %7s | %7s %7s\n", width_,
                  "configuration", "pre", "infer", "X", "err", "p50 ms", "err", "p99 ms", "err");
    out_ << buf;
  }
  void add(const ValidationRow& r, double pre, double infer, double x, double p50_ms,
           double p99_ms) {
    errors.add(r.measured, x, p50_ms, p99_ms);
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-*s %6.3f %6.3f | %8.1f %7s | %7.2f %7s | %7.2f %7s\n",
                  width_, label(r).c_str(), pre, infer, x,
                  signed_percent(errors.throughput.back()).c_str(), p50_ms,
                  signed_percent(errors.p50.back()).c_str(), p99_ms,
                  signed_percent(errors.p99.back()).c_str());
    out_ << buf;
  }
  Errors errors;

 private:
  int width_;
  std::ostream& out_;
};

/// Step 5: the predictions again, given the machine's speed measured right before each run.
void predict_checked(std::vector<ValidationRow>& rows, const fs::path& dir, std::ostream& out) {
  ScaledTable table(rows, out);
  for (auto& r : rows) {
    simulate_checked(r, dir);
    if (r.checked.throughput > 0)
      table.add(r, r.speed.preprocess, r.speed.infer, r.checked.throughput, r.checked.p50_ms,
                r.checked.p99_ms);
  }
  const Errors& checked = table.errors;
  if (!checked.throughput.empty()) {
    int over = 0;
    for (const double e : checked.throughput) over += e > 0;
    out << "\n  given the speed before each run, |error| median / worst: " << checked.summary()
        << "; throughput over-predicted in " << over << " of " << checked.throughput.size() << "\n";
  }
}

/// The kernels' calls during the runs against the calibrated noise: medians over configurations.
void print_call_spreads(const std::vector<ValidationRow>& rows, std::ostream& out) {
  for (const bool pre : {true, false}) {
    std::vector<double> cv, tail, wall, cal_cv, cal_tail;
    for (const ValidationRow& r : rows) {
      const CallSpread& s = pre ? r.preprocess_spread : r.infer_spread;
      if (s.calls < 2) continue;
      cv.push_back(s.cv);
      tail.push_back(s.p99_over_p50);
      wall.push_back(s.wall_over_cpu);
      cal_cv.push_back(s.calibrated_cv);
      cal_tail.push_back(s.calibrated_p99_over_p50);
    }
    if (cv.empty()) continue;
    char b[320];
    std::snprintf(b, sizeof b,
                  "  %s calls' CPU time over the curve's mean (median over %zu runs): cv %.3f "
                  "(calibrated noise %.3f), p99/p50 %.3f (%.3f); wall over CPU time %.3f\n",
                  pre ? "preprocessing" : "inference", cv.size(), median_abs(cv),
                  median_abs(cal_cv), median_abs(tail), median_abs(cal_tail), median_abs(wall));
    out << b;
  }
}

/// Step 6, a diagnostic: the same simulations given the CPU time each stage really used.
Errors diagnose(std::vector<ValidationRow>& rows, const fs::path& dir, std::ostream& out) {
  ScaledTable table(rows, out);
  for (auto& r : rows) {
    simulate_measured_demand(r, dir);
    if (r.md_throughput > 0)
      table.add(r, r.preprocess_demand_ratio, r.infer_demand_ratio, r.md_throughput, r.md_p50_ms,
                r.md_p99_ms);
  }
  Errors given = table.errors;
  if (given.throughput.empty()) {
    out << "  (no schedstat on this system: skipped)\n";
  } else {
    out << "\n  given the measured demands, |error| median / worst: " << given.summary() << "\n";
    std::vector<double> client, frontend;
    for (const auto& r : rows)
      if (r.client_demand_ratio > 0 && r.frontend_demand_ratio > 0) {
        client.push_back(r.client_demand_ratio);
        frontend.push_back(r.frontend_demand_ratio);
      }
    if (!client.empty()) {
      char b[200];
      std::snprintf(b, sizeof b,
                    "  HTTP ingest (kept at its calibrated cost in the rerun): the client threads "
                    "used %.2fx, the server threads %.2fx their calibrated CPU (medians)\n",
                    median_abs(client), median_abs(frontend));
      out << b;
    }
    print_ablation_errors(rows, true, out);
  }
  print_call_spreads(rows, out);
  return given;
}

}  // namespace

int run_validate(const ValidateOptions& o, std::ostream& out) {
  const auto t_start = Clock::now();
  const fs::path dir = o.out;
  fs::create_directories(dir);
  const calib::MachineInfo machine0 = calib::this_machine();
  const int cores = std::max(1, machine0.cores);
  Plan plan = make_plan(o.quick, cores, o.ingest);
  const calib::ShallowIdle idle(o.shallow_idle);
  const std::string& kernel = o.kernel;

  out << "servesim validate" << (o.quick ? " --quick" : "") << ": " << machine0.cpu << ", " << cores
      << " cores; inference kernel " << kernel
      << (o.ingest == Ingest::kHttp ? "; ingest http (loopback HTTP clients and server)" : "")
      << "\n"
      << idle.describe() << "\n\n1. calibration (isolated "
      << "microbenchmarks)\n";
  calib::BenchPlan bp;
  Calibration cal = benchmark(o, plan, cores, bp, out);
  fit_curves(cal, plan, kernel, dir, out);
  // A window holds at least 250 calibrated images' inference, so that a slow kernel's
  // completions, which arrive a batch at a time, do not quantise the throughput (a whole
  // network at ~80 ms per image; calib's own kernels, 1-10 ms per image, keep the plan's).
  {
    std::vector<double> t1;
    for (const Sample& s : cal.bench.samples)
      if (s.kernel == kernel && s.batch == 1) t1.push_back(s.seconds);
    const double per_image = calib::median(t1);
    plan.window_s = std::max(plan.window_s, 250 * per_image);
    plan.warmup_s = std::max(plan.warmup_s, 25 * per_image);
  }
  out << "\n2. predictions (servesim run " << (dir / "validate-SIZE.yaml").string()
      << " --set ...; every run in validate-runs.txt)\n";
  predict(plan, dir);
  out << "\n3. measurements (real pipeline, " << plan.warmup_s << " s warm-up + " << plan.window_s
      << " s window each)\n";
  std::vector<ValidationRow> rows = measure(plan, o, cal, bp, out);
  out << "\n4. predicted vs measured (error = (predicted - measured) / measured)\n";
  const double mx = compare(rows, out);
  out << "\n5. the machine's speed right before each run (the calibration's kernels timed again "
         "in isolation,\n   now over then) and the predictions given it (speed_check.h)\n";
  predict_checked(rows, dir, out);
  out << "\n6. diagnostic: each stage's CPU demand during the run (schedstat) over the calibrated "
         "one,\n"
         "   and the simulation rerun with it (not a prediction: it separates the model's "
         "error from its inputs')\n";
  const Errors given = diagnose(rows, dir, out);
  write_atomically(dir / "validate.csv", validation_csv(rows));
  {
    std::vector<const Curve*> pre;
    for (const ValidationRow& r : rows) {
      std::size_t si = 0;
      while (plan.sizes[si].name != r.size) ++si;
      pre.push_back(&cal.pre_curves[si]);
    }
    write_atomically(dir / "validate-calls.csv", calls_csv(rows, pre, cal.infer_curve));
  }
  write_atomically(dir / "validate.gp", validation_plot_script());
  out << "  wrote " << (dir / "validate.csv").string() << ", validate.gp (gnuplot validate.gp), "
      << "validate-calls.csv, validate-curves.yaml, validate-small.yaml, validate-medium.yaml, "
         "validate-runs.txt\n";
  out << "  " << std::chrono::duration<double>(Clock::now() - t_start).count() << " s in all\n";
  std::vector<double> others;
  others.reserve(rows.size());
  for (const auto& r : rows) others.push_back(r.other_load_cores);
  const double busy = std::max(cal.other_cores, median_abs(others));
  std::vector<double> ratios;
  for (const auto& r : rows)
    for (const double x : {r.preprocess_demand_ratio, r.infer_demand_ratio})
      if (x > 0) ratios.push_back(x);
  const double drift = ratios.empty() ? 1.0 : median_abs(ratios);
  if (!ratios.empty()) {
    char b[160];
    std::snprintf(b, sizeof b,
                  "  the kernels' CPU demand during the runs: %.2fx the calibrated (median over "
                  "stages and runs)\n",
                  drift);
    out << b;
  }
  return validation_verdict(o, busy, cores, mx, "servesim validate", out, drift,
                            given.throughput.empty() ? -1.0 : median_abs(given.throughput));
}

int validation_verdict(const ValidateOptions& o, double busy, int cores,
                       double median_throughput_error, const char* who, std::ostream& out,
                       double demand_ratio, double measured_demand_error) {
  const bool judged = o.max_median_throughput_error > 0;
  char buf[256];
  if (judged && o.busy_status > 0 && busy > 0.25 * cores) {
    std::snprintf(buf, sizeof buf,
                  "%s: other processes used %.2f of %d cores: accuracy not judged (exit %d)\n", who,
                  busy, cores, o.busy_status);
    out << buf;
    return o.busy_status;
  }
  const char* judging = "the median throughput error";
  if (judged && (demand_ratio > kMaxDemandDrift || demand_ratio < 1 / kMaxDemandDrift)) {
    // The prediction's inputs were off; the model is still judged, on the rerun given the
    // demand the stages really had.
    if (measured_demand_error >= 0) {
      std::snprintf(buf, sizeof buf,
                    "%s: the kernels took %.2fx their calibrated CPU time during the runs (the "
                    "machine's speed changed; limit %.2fx): judging the simulation given the "
                    "measured demand instead (median throughput error %.1f%%)\n",
                    who, demand_ratio, kMaxDemandDrift, measured_demand_error * 100);
      out << buf;
      median_throughput_error = measured_demand_error;
      judging = "given the measured demand, the median throughput error";
    } else if (o.busy_status > 0) {
      std::snprintf(buf, sizeof buf,
                    "%s: the kernels took %.2fx their calibrated CPU time during the runs (the "
                    "machine's speed changed; limit %.2fx): accuracy not judged (exit %d)\n",
                    who, demand_ratio, kMaxDemandDrift, o.busy_status);
      out << buf;
      return o.busy_status;
    }
  }
  if (judged && median_throughput_error > o.max_median_throughput_error) {
    out << who << ": " << judging << " exceeds " << o.max_median_throughput_error * 100
        << "%: a gross error\n";
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace servesim::validate
