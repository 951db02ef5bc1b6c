#include "validate/validate_broker.h"

#include "sim/config/atomic_file.h"
#include "sim/config/error.h"  // the exit statuses
#include "sim/config/progress.h"

#ifdef SERVESIM_HIREDIS

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "calib/broker_bench.h"
#include "calib/curve_writer.h"
#include "calib/fit.h"
#include "calib/kernels.h"
#include "calib/machine.h"
#include "calib/samples.h"
#include "sim/run/replications.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"
#include "validate/broker_pipeline.h"
#include "validate/calibration.h"

namespace servesim::validate {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using calib::JpegImage;

/// One configuration: a fan-out through Redis, or the same work fused into stage 1's worker.
struct Row {
  int fanout = 1;
  bool fused = false;
  BrokerPipelineResult measured;
  double redis_cores = 0;   // the redis-server's CPU time / wall time during the run
  double other_cores = -1;  // other processes (not this one, not redis-server); -1: unknown
  double sim_x = 0, sim_p50_ms = 0, sim_p99_ms = 0, sim_child_p50_ms = 0, sim_redis_util = 0;
  // The stages' kernels timed again right before the run, now over their calibrated time (0: not
  // checked), and the prediction given them (step 5).
  double stage1_speed = 0, stage2_speed = 0;
  double checked_x = 0, checked_p50_ms = 0, checked_p99_ms = 0;
  // The stages' CPU per call during the run over their calibrated mean (0: unmeasured), and the
  // simulation given them (step 6).
  double stage1_demand = 0, stage2_demand = 0;
  double md_x = 0, md_p50_ms = 0, md_p99_ms = 0;
};

/// The calibration's samples of the stages' kernels, pass-major over their items: stage 1 by
/// fan-out (as BrokerPlan::fanouts) over the corpus' images, stage 2 over the crops of the first
/// image at the largest fan-out. Kept for the checks before each run and the demand after it.
struct StageSamples {
  std::vector<std::vector<calib::Observation>> stage1;
  std::vector<calib::Observation> stage2;
};

struct BrokerPlan {
  std::vector<int> fanouts;
  int clients = 4;
  int stage1_workers = 1;
  int stage2_workers = 2;
  int fused_workers = 2;
  int repeats = 20;      // timed passes of each kernel in the calibration
  int check_passes = 5;  // timed passes of a stage's items in the check before each run
  int redis_ops = 1000, redis_blocks = 5;
  double warmup_s = 1, window_s = 6;
};

BrokerPlan make_broker_plan(bool quick, int cores) {
  BrokerPlan p;
  p.stage2_workers = cores;
  p.fused_workers = cores;
  if (quick) {
    p.fanouts = {1, 4, 16};
    p.repeats = 10;
    p.check_passes = 2;
    p.redis_ops = 500;
    p.redis_blocks = 3;
    p.warmup_s = 0.5;
    p.window_s = 2.5;
  } else {
    p.fanouts = {1, 2, 4, 8, 16};
  }
  return p;
}

std::string variant(const Row& r) { return r.fused ? "fused" : "redis"; }

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Fits `obs` with calib's fit_curve and names the curve, with where its samples came from.
/// `noise`: false for samples that are aggregates over many messages (their spread is not a
/// message's), which get the chosen form's curve without noise.
calib::NamedCurve fitted(const std::string& name, const std::vector<calib::Observation>& obs,
                         const std::string& what, const std::string& machine, bool noise = true) {
  const calib::FitReport r = calib::fit_curve(obs);
  calib::NamedCurve c{name, noise ? r.curve : r.candidates[r.chosen].curve, {}};
  c.curve.source = "servesim validate --broker: " + what + ", " + std::to_string(obs.size()) +
                   " samples timed alone, fitted by calib fit_curve (" +
                   r.candidates[r.chosen].spec.label() + "); " + machine;
  c.comments.push_back(name + ": t = " + calib::curve_formula(calib::rounded(c.curve)) +
                       (noise ? " (noise cv " + shortest(std::round(r.noise_cv * 1e3) / 1e3) + ")"
                              : std::string(" (per-payload aggregates: no noise)")));
  return c;
}

/// Times `f(item)` over every item, `repeats` passes after one untimed pass (ns per call; with
/// repeats 0, the one pass, timed).
template <class F>
std::vector<calib::Observation> time_passes(std::size_t items, int repeats, F f,
                                            const std::vector<CurveArgs>& args) {
  std::vector<calib::Observation> obs;
  for (int pass = 0; pass <= repeats; ++pass)
    for (std::size_t i = 0; i < items; ++i) {
      const auto t0 = Clock::now();
      f(i);
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      if (pass > 0 || repeats == 0) obs.push_back({args[i], ns});
    }
  return obs;
}

/// `cpu_entries`: node.cpu's stalls and slowdowns (measure_core_interruptions), empty for none.
std::string broker_scenario_yaml(const BrokerPlan& p, const Row& r,
                                 std::span<const JpegImage> images, const BrokerPipelineConfig& pc,
                                 const calib::MachineInfo& m, double rtt_ns, bool charge_kernel,
                                 const std::string& cpu_entries) {
  const auto k = std::to_string(r.fanout);
  const int s1 = r.fused ? p.fused_workers : p.stage1_workers;
  const int s2 = r.fused ? p.fused_workers : p.stage2_workers;
  std::ostringstream y;
  y << "# servesim validate --broker: the real pipeline of validate/broker_pipeline.cpp, " << k
    << " crop(s) per request, " << (r.fused ? "fused (no broker)" : "through a local redis-server")
    << ".\n# Curves: validate-broker-curves.yaml (isolated microbenchmarks only).\n"
    << "include: [validate-broker-curves.yaml]\n"
    << "name: validate-broker-k" << k << "-" << variant(r) << "\n"
    << "seed: 1\nrun: {duration: 32s, warmup: 2s, replications: 3}\nimage_sets:\n  corpus:\n";
  for (const auto& j : images)
    y << "    - {name: medium-q" << j.quality << ", width: " << j.width << ", height: " << j.height
      << ", bytes: " << j.data.size() << "B, source: \"calib make_corpus seed 1, quality "
      << j.quality << "\"}\n";
  y << "workload: {mode: closed, concurrency: " << p.clients << ", images: corpus}\n"
    << "node:\n  cpu:\n    cores: " << m.cores << "\n"
    << "    source: \"this machine: the logical CPUs the process may use\"\n"
    << cpu_entries << "pipeline:\n  - name: detect\n    device: cpu\n    instances: " << s1 << "\n"
    << "    service: {curve: stage1_k" << k << "}\n"
    << "    source: \"decode + " << k << " crops, the real stage-1 worker threads\"\n"
    << "    fanout:\n      count: " << k << "\n      child: {width: " << pc.crop.width
    << ", height: " << pc.crop.height << ", bytes: " << static_cast<long>(child_message_bytes(pc))
    << "B}\n"
    << "      source: \"an RGB crop and an 8-byte header\"\n      broker:\n";
  if (r.fused) {
    y << "        kind: fused\n        source: \"stage-1 worker runs its crops itself\"\n";
  } else {
    // A lone push is read alone; the k pushes of a fan-out go in one write (calib's pipelined
    // curves, measured at depth kRedisPipelineDepth).
    const std::string piped = r.fanout == 1 ? "" : "_pipelined";
    y << "        kind: redis\n        op_cost: {curve: redis_pop}\n"
      << "        push_cost: {curve: redis_push" << piped
      << "}\n        rtt: " << std::llround(rtt_ns) << "ns\n        pipeline: " << k
      << "\n        cpu: node\n"
      << "        client:\n          produce: {curve: redis_client_push" << piped << "}\n"
      << "          consume: {curve: redis_client_pop}\n"
      << (charge_kernel ? "          kernel: {curve: redis_kernel" + piped + "}\n" : "")
      << "          wait_replies: yes\n"
      << "          source: \"the client threads' CPU"
      << (charge_kernel ? " and the softirq time per message" : "")
      << ", calib measure_redis_ops; the stage-1 worker waits for its k replies"
      << (charge_kernel ? "" : "; no kernel: this kernel counts softirq work in the threads' CPU")
      << "\"\n"
      << "        source: \"op_cost, push_cost: server CPU per RPOP and per LPUSH and rtt: PING "
         "less server, calib measure_redis_ops; pipeline: the k LPUSHes go in one write; cpu: "
         "node, the redis-server runs on this machine's cores\"\n";
  }
  y << "  - name: identify\n    device: cpu\n    instances: " << s2 << "\n"
    << "    service: {curve: stage2}\n"
    << "    source: \"resize + normalise of a crop, the real stage-2 worker threads\"\n";
  return y.str();
}

fs::path scenario_file(const fs::path& dir, const Row& r) {
  return dir / ("validate-broker-k" + std::to_string(r.fanout) + "-" + variant(r) + ".yaml");
}

RunSummary simulate(const fs::path& file, const std::vector<std::string>& overrides = {}) {
  const LoadedScenario sc = load_scenario(file, overrides);
  return run_scenario(sc.params,
                      static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

void simulate_broker(Row& r, const fs::path& file) {
  const RunSummary s = simulate(file);
  r.sim_x = s.throughput_rps.mean;
  r.sim_p50_ms = s.p50_ms;
  r.sim_p99_ms = s.p99_ms;
  r.sim_child_p50_ms = s.child_p50_ms;
  for (const auto& res : s.resources)
    if (res.name == "redis.server") r.sim_redis_util = res.utilization;
}

/// The scenario of r again with each stage's kernels taking `detect` and `identify` times their
/// calibrated time: throughput, p50 and p99 (ms).
std::array<double, 3> simulate_scaled(const Row& r, const fs::path& dir, double detect,
                                      double identify) {
  char a[96], b[96];
  std::snprintf(a, sizeof a, "pipeline.detect.speedup=%.6g", 1 / detect);
  std::snprintf(b, sizeof b, "pipeline.identify.speedup=%.6g", 1 / identify);
  const RunSummary s = simulate(scenario_file(dir, r), {a, b});
  return {s.throughput_rps.mean, s.p50_ms, s.p99_ms};
}

/// Each item's median time over the passes of `obs` (pass-major over `items` items), summed: what
/// a pass costs, robust to a call that a stall or another process hit.
double summed_medians(const std::vector<calib::Observation>& obs, std::size_t items) {
  double sum = 0;
  for (std::size_t i = 0; i < items; ++i) {
    std::vector<double> t;
    for (std::size_t j = i; j < obs.size(); j += items) t.push_back(obs[j].t_ns);
    sum += calib::median(std::move(t));
  }
  return sum;
}

double mean_ns(const std::vector<calib::Observation>& obs) {
  double sum = 0;
  for (const auto& o : obs) sum += o.t_ns;
  return obs.empty() ? 0 : sum / static_cast<double>(obs.size());
}

std::string csv(const std::vector<Row>& rows) {
  std::ostringstream o;
  o << "fanout,variant,completed,measured_throughput,predicted_throughput,throughput_error,"
       "measured_p50_ms,predicted_p50_ms,p50_error,measured_p99_ms,predicted_p99_ms,p99_error,"
       "measured_child_p50_ms,predicted_child_p50_ms,measured_stage1_service_ms,"
       "measured_stage2_service_ms,redis_server_cores,predicted_redis_utilization,"
       "other_load_cores,stage1_speed_ratio,stage2_speed_ratio,checked_throughput,"
       "checked_throughput_error,checked_p50_ms,checked_p50_error,checked_p99_ms,"
       "checked_p99_error,measured_stage1_cpu_ms,measured_stage2_cpu_ms,stage1_demand_ratio,"
       "stage2_demand_ratio,measured_demand_throughput,measured_demand_p50_ms,"
       "measured_demand_p99_ms\n";
  const auto g = csv_number;
  for (const auto& r : rows) {
    const auto& m = r.measured;
    o << r.fanout << "," << variant(r) << "," << m.completed << "," << g(m.throughput_rps) << ","
      << g(r.sim_x) << "," << g(relative_error(r.sim_x, m.throughput_rps)) << ","
      << g(m.p50_s * 1e3) << "," << g(r.sim_p50_ms) << ","
      << g(relative_error(r.sim_p50_ms, m.p50_s * 1e3)) << "," << g(m.p99_s * 1e3) << ","
      << g(r.sim_p99_ms) << "," << g(relative_error(r.sim_p99_ms, m.p99_s * 1e3)) << ","
      << g(m.child_p50_s * 1e3) << "," << g(r.sim_child_p50_ms) << ","
      << g(m.stage1_service_s * 1e3) << "," << g(m.stage2_service_s * 1e3) << ","
      << g(r.redis_cores) << "," << g(r.sim_redis_util) << "," << g(r.other_cores) << ","
      << g(r.stage1_speed) << "," << g(r.stage2_speed) << "," << g(r.checked_x) << ","
      << g(relative_error(r.checked_x, m.throughput_rps)) << "," << g(r.checked_p50_ms) << ","
      << g(relative_error(r.checked_p50_ms, m.p50_s * 1e3)) << "," << g(r.checked_p99_ms) << ","
      << g(relative_error(r.checked_p99_ms, m.p99_s * 1e3)) << "," << g(m.stage1_cpu_s * 1e3) << ","
      << g(m.stage2_cpu_s * 1e3) << "," << g(r.stage1_demand) << "," << g(r.stage2_demand) << ","
      << g(r.md_x) << "," << g(r.md_p50_ms) << "," << g(r.md_p99_ms) << "\n";
  }
  return o.str();
}

}  // namespace

namespace {

/// The requests' images: 500x375 JPEGs at qualities 75, 85 and 95.
std::vector<JpegImage> broker_corpus() {
  const std::vector<calib::ImageSize> sizes{{500, 375}};
  const std::vector<int> qualities{75, 85, 95};
  return calib::make_corpus(sizes, qualities, 1);
}

/// A stage-1 curve's inputs for each image of the corpus.
std::vector<CurveArgs> image_args(const std::vector<JpegImage>& images) {
  std::vector<CurveArgs> args;
  args.reserve(images.size());
  for (const auto& j : images)
    args.push_back(
        {1, static_cast<double>(j.width) * j.height, static_cast<double>(j.data.size())});
  return args;
}

/// Stage 2 over the crops of the first image at fan-out `crops`, `passes` timed passes.
std::vector<calib::Observation> time_stage2(BrokerKernels& kernels, const JpegImage& image,
                                            int crops, double msg, std::vector<unsigned char>& buf,
                                            int passes) {
  kernels.stage1(image, crops, 0, buf.data());
  const std::vector<CurveArgs> args(static_cast<std::size_t>(crops), CurveArgs{1, 0, msg});
  return time_passes(
      args.size(), passes,
      [&](std::size_t i) { kernels.stage2(buf.data() + i * static_cast<std::size_t>(msg)); }, args);
}

/// Stage 1 at every fan-out and stage 2, each alone, fitted to curves; their samples to `kept`.
std::vector<calib::NamedCurve> fit_stages(const BrokerPlan& plan, BrokerKernels& kernels,
                                          const std::vector<JpegImage>& images, double msg,
                                          std::vector<unsigned char>& buf,
                                          const std::string& machine, StageSamples& kept) {
  std::vector<calib::NamedCurve> curves;
  const std::vector<CurveArgs> args = image_args(images);
  // Stage 1 at every fan-out, interleaved pass by pass, so that a burst of load from other
  // processes spreads over the fan-outs instead of falling on one.
  std::vector<std::vector<calib::Observation>>& stage1_obs = kept.stage1;
  stage1_obs.assign(plan.fanouts.size(), {});
  for (int pass = 0; pass <= plan.repeats; ++pass)
    for (std::size_t f = 0; f < plan.fanouts.size(); ++f) {
      const auto obs = time_passes(
          images.size(), 0,
          [&](std::size_t i) { kernels.stage1(images[i], plan.fanouts[f], 0, buf.data()); }, args);
      if (pass > 0) stage1_obs[f].insert(stage1_obs[f].end(), obs.begin(), obs.end());
    }
  for (std::size_t f = 0; f < plan.fanouts.size(); ++f) {
    const std::string k = std::to_string(plan.fanouts[f]);
    curves.push_back(fitted("stage1_k" + k, stage1_obs[f],
                            "decode of a 500x375 JPEG and " + k + " crops", machine));
  }
  kept.stage2 = time_stage2(kernels, images[0], plan.fanouts.back(), msg, buf, plan.repeats);
  curves.push_back(
      fitted("stage2", kept.stage2, "resize 160x160 -> 224x224 and normalise", machine));
  return curves;
}

/// The stages' kernels timed again as the calibration timed them (stage 1 at fan-out index `f`),
/// plan.check_passes passes after an untimed one: each stage's summed item medians now over the
/// calibration's (speed_check.h says why).
void check_speed(Row& r, std::size_t f, const BrokerPlan& plan, BrokerKernels& kernels,
                 const std::vector<JpegImage>& images, double msg, std::vector<unsigned char>& buf,
                 const StageSamples& cal) {
  const std::vector<calib::Observation> s1 = time_passes(
      images.size(), plan.check_passes,
      [&](std::size_t i) { kernels.stage1(images[i], plan.fanouts[f], 0, buf.data()); },
      image_args(images));
  const std::vector<calib::Observation> s2 =
      time_stage2(kernels, images[0], plan.fanouts.back(), msg, buf, plan.check_passes);
  r.stage1_speed = summed_medians(s1, images.size()) / summed_medians(cal.stage1[f], images.size());
  const auto crops = static_cast<std::size_t>(plan.fanouts.back());
  r.stage2_speed = summed_medians(s2, crops) / summed_medians(cal.stage2, crops);
}

/// The stages' CPU per call in the run over their calibrated mean: stage 1 (decode and crops)
/// and stage 2 (a crop) apart; a fused row's stage 1 runs its k crops too, so both stages take
/// its one ratio.
void demand_ratios(Row& r, std::size_t f, const StageSamples& cal) {
  const double s1 = mean_ns(cal.stage1[f]), s2 = mean_ns(cal.stage2);
  const double used1 = r.measured.stage1_cpu_s * 1e9, used2 = r.measured.stage2_cpu_s * 1e9;
  if (r.fused) {
    if (used1 > 0) r.stage1_demand = r.stage2_demand = used1 / (s1 + r.fanout * s2);
    return;
  }
  if (used1 > 0 && used2 > 0) {
    r.stage1_demand = used1 / s1;
    r.stage2_demand = used2 / s2;
  }
}

/// What the measurements need of the calibration: its kernels, their samples, a crop buffer.
struct Kernels {
  BrokerKernels& kernels;
  const StageSamples& samples;
  double msg;
  std::vector<unsigned char>& buf;
};

/// Step 3: the real pipeline at each configuration, each run after the stages' speed check,
/// beside the CPU redis-server and other processes used meanwhile; a progress bar on `progress`
/// when given.
void measure_broker(std::vector<Row>& rows, const BrokerPlan& plan,
                    const BrokerPipelineConfig& base, calib::RedisServer& server,
                    const std::vector<JpegImage>& images, const Kernels& k, std::ostream& out,
                    std::ostream* progress) {
  char line[256];
  ProgressBar bar(progress ? *progress : out, progress != nullptr);
  for (auto& r : rows) {
    bar.update(static_cast<std::size_t>(&r - rows.data()), rows.size(), "validate",
               "configurations");
    const auto f = static_cast<std::size_t>(
        std::find(plan.fanouts.begin(), plan.fanouts.end(), r.fanout) - plan.fanouts.begin());
    check_speed(r, f, plan, k.kernels, images, k.msg, k.buf, k.samples);
    BrokerPipelineConfig pc = base;
    pc.fanout = r.fanout;
    pc.fused = r.fused;
    pc.stage1_workers = r.fused ? plan.fused_workers : plan.stage1_workers;
    pc.stage2_workers = plan.stage2_workers;
    pc.redis_port = server.port();
    const CpuClock c0 = cpu_clock();
    const double redis0 = server.cpu_ns();
    const auto w0 = Clock::now();
    r.measured = run_broker_pipeline(pc, images);
    const double wall = seconds_since(w0);
    const CpuClock c1 = cpu_clock();
    r.redis_cores = (server.cpu_ns() - redis0) * 1e-9 / wall;
    demand_ratios(r, f, k.samples);
    if (c0.machine_busy_s >= 0)
      r.other_cores =
          std::max(0.0, ((c1.machine_busy_s - c0.machine_busy_s) - (c1.self_s - c0.self_s)) / wall -
                            r.redis_cores);
    std::snprintf(line, sizeof line,
                  "  k=%-3d %-5s %8.1f/s (predicted %8.1f/s), speed now/then %.3f %.3f, "
                  "redis-server %.2f cores, other processes %.2f cores\n",
                  r.fanout, variant(r).c_str(), r.measured.throughput_rps, r.sim_x, r.stage1_speed,
                  r.stage2_speed, r.redis_cores, r.other_cores);
    bar.finish();
    out << line << std::flush;
  }
}

/// Step 4: predicted against measured; returns the median throughput error.
double compare_broker(const std::vector<Row>& rows, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line,
                "  %-3s %-5s %8s %8s %7s | %7s %7s %7s | %7s %7s %7s | %6s %6s | %5s %5s\n", "k",
                "", "X meas", "X pred", "err", "p50 ms", "pred", "err", "p99 ms", "pred", "err",
                "ch p50", "pred", "redis", "other");
  out << line;
  Errors pred;
  for (const auto& r : rows) {
    const auto& m = r.measured;
    pred.add(m, r.sim_x, r.sim_p50_ms, r.sim_p99_ms);
    std::snprintf(line, sizeof line,
                  "  %-3d %-5s %8.1f %8.1f %+6.1f%% | %7.2f %7.2f %+6.1f%% | %7.2f %7.2f %+6.1f%% "
                  "| %6.2f %6.2f | %5.2f %5.2f\n",
                  r.fanout, variant(r).c_str(), m.throughput_rps, r.sim_x,
                  pred.throughput.back() * 100, m.p50_s * 1e3, r.sim_p50_ms, pred.p50.back() * 100,
                  m.p99_s * 1e3, r.sim_p99_ms, pred.p99.back() * 100, m.child_p50_s * 1e3,
                  r.sim_child_p50_ms, r.redis_cores, r.other_cores);
    out << line;
  }
  const double mx = median_abs(pred.throughput);
  std::snprintf(line, sizeof line, "\n  |error| median / worst: %s (%zu configurations)\n",
                pred.summary().c_str(), rows.size());
  out << line
      << "  (ch p50: a child's median latency from emission, ms; redis: the redis-server's CPU, "
         "in cores, which the simulator runs on the node's cores (cpu: node); "
         "other: other processes' CPU, in cores)\n";
  return mx;
}

/// Each row's simulation again given the stages' speed before its run (checked_*) and given their
/// demand during it (md_*), where measured; returns the demand ratios (a fused row's once).
std::vector<double> simulate_given(std::vector<Row>& rows, const fs::path& dir) {
  std::vector<double> demands;
  for (auto& r : rows) {
    if (r.stage1_speed > 0 && r.stage2_speed > 0) {
      const auto [x, p50, p99] = simulate_scaled(r, dir, r.stage1_speed, r.stage2_speed);
      r.checked_x = x;
      r.checked_p50_ms = p50;
      r.checked_p99_ms = p99;
    }
    if (r.stage1_demand > 0 && r.stage2_demand > 0) {
      const auto [x, p50, p99] = simulate_scaled(r, dir, r.stage1_demand, r.stage2_demand);
      r.md_x = x;
      r.md_p50_ms = p50;
      r.md_p99_ms = p99;
      demands.push_back(r.stage1_demand);
      if (!r.fused) demands.push_back(r.stage2_demand);
    }
  }
  return demands;
}

/// Steps 5 and 6: each row's prediction again, given the stages' speed before its run (`demand`
/// false) or their CPU demand during it; prints the rows and returns their errors.
Errors compare_given(const std::vector<Row>& rows, bool demand, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "  %-3s %-5s %6s %6s | %8s %7s | %7s %7s | %7s %7s\n", "k", "",
                "detect", "ident", "X pred", "err", "p50", "err", "p99", "err");
  out << line;
  Errors e;
  for (const auto& r : rows) {
    const double r1 = demand ? r.stage1_demand : r.stage1_speed;
    const double r2 = demand ? r.stage2_demand : r.stage2_speed;
    const double x = demand ? r.md_x : r.checked_x;
    const double p50 = demand ? r.md_p50_ms : r.checked_p50_ms;
    const double p99 = demand ? r.md_p99_ms : r.checked_p99_ms;
    if (!(x > 0)) continue;
    e.add(r.measured, x, p50, p99);
    std::snprintf(line, sizeof line,
                  "  %-3d %-5s %6.3f %6.3f | %8.1f %+6.1f%% | %7.2f %+6.1f%% | %7.2f %+6.1f%%\n",
                  r.fanout, variant(r).c_str(), r1, r2, x, e.throughput.back() * 100, p50,
                  e.p50.back() * 100, p99, e.p99.back() * 100);
    out << line;
  }
  if (!e.throughput.empty())
    out << "\n  " << (demand ? "given the measured demand" : "given the speed before each run")
        << ", |error| median / worst: " << e.summary() << "\n";
  return e;
}

}  // namespace

/// The server's CPU per operation, and the DNN processes' side of each message (the client
/// threads' CPU, the kernel's softirq time), fitted from calib's samples: docs/model.md, "`redis`".
void fit_redis_curves(const std::vector<calib::Sample>& redis_samples, const std::string& version,
                      const std::string& machine, std::vector<calib::NamedCurve>& curves) {
  const std::pair<const char*, std::string> redis_curves[] = {
      {"redis_pop", "redis-server " + version + " CPU time per RPOP (/proc/PID/schedstat)"},
      {"redis_push", "redis-server " + version + " CPU time per LPUSH"},
      {"redis_push_pipelined", "redis-server " + version + " CPU time per LPUSH, sent " +
                                   std::to_string(calib::kRedisPipelineDepth) + " per write"},
      {"redis_client_push", "the client thread's CPU per LPUSH (CLOCK_THREAD_CPUTIME_ID)"},
      {"redis_client_push_pipelined", "the client thread's CPU per LPUSH, sent " +
                                          std::to_string(calib::kRedisPipelineDepth) +
                                          " per write"},
      {"redis_client_pop", "the client thread's CPU per RPOP (CLOCK_THREAD_CPUTIME_ID)"},
      {"redis_kernel", "the machine's softirq time per message, its push and its pop (/proc/stat)"},
      {"redis_kernel_pipelined",
       "the same, the pushes sent " + std::to_string(calib::kRedisPipelineDepth) + " per write"}};
  for (const auto& [name, what] : redis_curves) {
    std::vector<calib::Observation> obs;
    for (const auto& s : redis_samples)
      if (s.kernel == name) obs.push_back({{1, 0, s.bytes}, s.seconds * 1e9});
    curves.push_back(
        fitted(name, obs, what, machine, !std::string_view(name).starts_with("redis_kernel")));
  }
}

int run_validate_broker(const ValidateOptions& o, std::ostream& out) {
  if (!calib::RedisServer::available()) {
    out << "servesim validate --broker: no redis-server on PATH (Debian: apt-get install "
           "redis-server); nothing measured\n";
    return o.busy_status > 0 ? o.busy_status : kExitRuntime;
  }
  const auto t_start = Clock::now();
  const fs::path dir = o.out;
  fs::create_directories(dir);
  const calib::MachineInfo machine_info = calib::this_machine();
  const int cores = std::max(1, machine_info.cores);
  const BrokerPlan plan = make_broker_plan(o.quick, cores);
  const calib::ShallowIdle idle(o.shallow_idle);
  const std::vector<JpegImage> images = broker_corpus();
  BrokerPipelineConfig base;
  base.clients = plan.clients;
  base.warmup_s = plan.warmup_s;
  base.window_s = plan.window_s;
  const std::string machine = "measured on " + calib::machine_summary(machine_info);

  // 1. Calibration, every piece alone: stage 1 at each fan-out, stage 2, Redis's op cost and rtt.
  out << "servesim validate --broker" << (o.quick ? " --quick" : "") << ": " << machine_info.cpu
      << ", " << cores << " cores\n"
      << idle.describe() << "\n\n1. calibration (isolated microbenchmarks)\n";
  calib::opencv_single_thread();
  const CpuClock cal0 = cpu_clock();
  const auto cal_t0 = Clock::now();
  calib::RedisServer server(dir / "redis");
  const double redis_cal0 = server.cpu_ns();
  BrokerKernels kernels(base);
  const double msg = child_message_bytes(base);
  std::vector<unsigned char> buf(static_cast<std::size_t>(msg) *
                                 static_cast<std::size_t>(plan.fanouts.back()));
  StageSamples stage_samples;
  std::vector<calib::NamedCurve> curves =
      fit_stages(plan, kernels, images, msg, buf, machine, stage_samples);
  const std::vector<calib::Sample> redis_samples = calib::measure_redis_ops(
      server, {1024, msg, 4 * msg}, plan.redis_ops, plan.redis_blocks, out);
  std::vector<double> rtts;
  for (const auto& s : redis_samples)
    if (s.kernel == "redis_rtt") rtts.push_back(s.seconds * 1e9);
  fit_redis_curves(redis_samples, server.version(), machine, curves);
  std::sort(rtts.begin(), rtts.end());
  const double rtt_ns = rtts[rtts.size() / 2];
  const CpuClock cal1 = cpu_clock();
  const double cal_wall = seconds_since(cal_t0);
  const double calib_other =
      cal0.machine_busy_s < 0
          ? -1
          : std::max(0.0, ((cal1.machine_busy_s - cal0.machine_busy_s) -
                           (cal1.self_s - cal0.self_s) - (server.cpu_ns() - redis_cal0) * 1e-9) /
                              cal_wall);
  for (const auto& c : curves) out << "  " << c.comments.front() << "\n";
  // When the cores run nothing, or slower (docs/calibration.md 8c).
  const std::string cpu_entries = measure_core_interruptions(o.quick, machine_info, out);
  char line[256];
  std::snprintf(line, sizeof line,
                "  redis rtt (PING less server CPU): %.1f us; other processes used %.2f of %d "
                "cores\n",
                rtt_ns * 1e-3, calib_other, cores);
  out << line;
  // The softirq time is charged apart only where a thread's CPU time leaves it out.
  const bool charge_kernel = calib::softirq_in_thread_time() != calib::SoftirqInThreadTime::kYes;
  out << (charge_kernel ? "  the kernel's softirq time is charged apart (redis_kernel*)\n"
                        : "  the kernel's softirq time is not charged apart: this kernel "
                          "(no CONFIG_IRQ_TIME_ACCOUNTING) counts the softirq work done on a "
                          "thread's stack in that thread's CPU time, which the client and server "
                          "curves measure\n");
  write_atomically(
      dir / "validate-broker-curves.yaml",
      calib::curves_yaml(
          curves, std::vector<std::string>{"Service-time curves of `servesim validate --broker`, "
                                           "fitted to isolated microbenchmarks of this machine."}));

  // 2. Predictions: a scenario per configuration, run by servesim's own machinery.
  std::vector<Row> rows;
  for (const int k : plan.fanouts)
    for (const bool fused : {false, true}) {
      rows.emplace_back();
      rows.back().fanout = k;
      rows.back().fused = fused;
    }
  out << "\n2. predictions (servesim run " << (dir / "validate-broker-kK-VARIANT.yaml").string()
      << ")\n";
  for (auto& r : rows) {
    const fs::path file = scenario_file(dir, r);
    write_atomically(file, broker_scenario_yaml(plan, r, images, base, machine_info, rtt_ns,
                                                charge_kernel, cpu_entries));
    simulate_broker(r, file);
  }

  // 3. Measurements.
  out << "\n3. measurements (real pipeline, " << plan.clients << " clients, " << plan.warmup_s
      << " s warm-up + " << plan.window_s << " s window each; stage 1 " << plan.stage1_workers
      << " thread(s), stage 2 " << plan.stage2_workers << ", fused " << plan.fused_workers << ")\n";
  measure_broker(rows, plan, base, server, images, Kernels{kernels, stage_samples, msg, buf}, out,
                 o.progress);
  const std::vector<double> demands = simulate_given(rows, dir);

  // 4. The comparison.
  out << "\n4. predicted vs measured (error = (predicted - measured) / measured)\n";
  const double mx = compare_broker(rows, out);
  out << "\n5. the stages' speed right before each run (their kernels timed again in isolation, "
         "now over\n   then) and the predictions given it\n";
  compare_given(rows, false, out);
  out << "\n6. the stages' CPU per call during each run over the calibration's (measured "
         "demand), and\n   the simulation given it (a diagnosis, not a prediction)\n";
  const Errors md = compare_given(rows, true, out);
  write_atomically(dir / "validate-broker.csv", csv(rows));
  out << "  wrote " << (dir / "validate-broker.csv").string()
      << ", validate-broker-curves.yaml, validate-broker-k*.yaml\n  " << seconds_since(t_start)
      << " s in all\n";
  std::vector<double> others;
  others.reserve(rows.size());
  for (const auto& r : rows) others.push_back(r.other_cores);
  const double busy = std::max(calib_other, median_abs(others));
  return validation_verdict(o, busy, cores, mx, "servesim validate --broker", out,
                            demands.empty() ? 1.0 : calib::median(demands),
                            md.throughput.empty() ? -1.0 : median_abs(md.throughput));
}

}  // namespace servesim::validate

#else

namespace servesim::validate {

int run_validate_broker(const ValidateOptions& o, std::ostream& out) {
  out << "servesim validate --broker: this servesim was built without hiredis (Debian: "
         "libhiredis-dev); nothing measured\n";
  return o.busy_status > 0 ? o.busy_status : kExitRuntime;
}

}  // namespace servesim::validate

#endif
