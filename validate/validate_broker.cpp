#include "validate/validate_broker.h"

#include "sim/config/atomic_file.h"
#include "sim/config/error.h"  // the exit statuses
#include "sim/config/progress.h"

#ifdef SERVESIM_HIREDIS

#include <algorithm>
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
#include "sim/run/replications.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"
#include "validate/broker_pipeline.h"

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
};

struct BrokerPlan {
  std::vector<int> fanouts;
  int clients = 4;
  int stage1_workers = 1;
  int stage2_workers = 2;
  int fused_workers = 2;
  int repeats = 20;  // timed passes of each kernel in the calibration
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

std::string broker_scenario_yaml(const BrokerPlan& p, const Row& r,
                                 std::span<const JpegImage> images, const BrokerPipelineConfig& pc,
                                 const calib::MachineInfo& m, double rtt_ns, bool charge_kernel) {
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
    << "pipeline:\n  - name: detect\n    device: cpu\n    instances: " << s1 << "\n"
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

void simulate_broker(Row& r, const fs::path& file) {
  const LoadedScenario sc = load_scenario(file, {});
  const RunSummary s =
      run_scenario(sc.params, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  r.sim_x = s.throughput_rps.mean;
  r.sim_p50_ms = s.p50_ms;
  r.sim_p99_ms = s.p99_ms;
  r.sim_child_p50_ms = s.child_p50_ms;
  for (const auto& res : s.resources)
    if (res.name == "redis.server") r.sim_redis_util = res.utilization;
}

std::string csv(const std::vector<Row>& rows) {
  std::ostringstream o;
  o << "fanout,variant,completed,measured_throughput,predicted_throughput,throughput_error,"
       "measured_p50_ms,predicted_p50_ms,p50_error,measured_p99_ms,predicted_p99_ms,p99_error,"
       "measured_child_p50_ms,predicted_child_p50_ms,measured_stage1_service_ms,"
       "measured_stage2_service_ms,redis_server_cores,predicted_redis_utilization,"
       "other_load_cores\n";
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
      << g(r.redis_cores) << "," << g(r.sim_redis_util) << "," << g(r.other_cores) << "\n";
  }
  return o.str();
}

}  // namespace

namespace {

/// Stage 1 at every fan-out and stage 2, each alone, fitted to curves.
std::vector<calib::NamedCurve> fit_stages(const BrokerPlan& plan, BrokerKernels& kernels,
                                          const std::vector<JpegImage>& images, double msg,
                                          std::vector<unsigned char>& buf,
                                          const std::string& machine) {
  std::vector<calib::NamedCurve> curves;
  std::vector<CurveArgs> image_args;
  image_args.reserve(images.size());
  for (const auto& j : images)
    image_args.push_back(
        {1, static_cast<double>(j.width) * j.height, static_cast<double>(j.data.size())});
  // Stage 1 at every fan-out, interleaved pass by pass, so that a burst of load from other
  // processes spreads over the fan-outs instead of falling on one.
  std::vector<std::vector<calib::Observation>> stage1_obs(plan.fanouts.size());
  for (int pass = 0; pass <= plan.repeats; ++pass)
    for (std::size_t f = 0; f < plan.fanouts.size(); ++f) {
      const auto obs = time_passes(
          images.size(), 0,
          [&](std::size_t i) { kernels.stage1(images[i], plan.fanouts[f], 0, buf.data()); },
          image_args);
      if (pass > 0) stage1_obs[f].insert(stage1_obs[f].end(), obs.begin(), obs.end());
    }
  for (std::size_t f = 0; f < plan.fanouts.size(); ++f) {
    const std::string k = std::to_string(plan.fanouts[f]);
    curves.push_back(fitted("stage1_k" + k, stage1_obs[f],
                            "decode of a 500x375 JPEG and " + k + " crops", machine));
  }
  {
    kernels.stage1(images[0], plan.fanouts.back(), 0, buf.data());
    const std::vector<CurveArgs> args(static_cast<std::size_t>(plan.fanouts.back()),
                                      CurveArgs{1, 0, msg});
    const auto obs = time_passes(
        args.size(), plan.repeats,
        [&](std::size_t i) { kernels.stage2(buf.data() + i * static_cast<std::size_t>(msg)); },
        args);
    curves.push_back(fitted("stage2", obs, "resize 160x160 -> 224x224 and normalise", machine));
  }
  return curves;
}

/// Step 3: the real pipeline at each configuration, beside the CPU redis-server and other
/// processes used meanwhile; a progress bar on `progress` when given.
void measure_broker(std::vector<Row>& rows, const BrokerPlan& plan,
                    const BrokerPipelineConfig& base, calib::RedisServer& server,
                    const std::vector<JpegImage>& images, std::ostream& out,
                    std::ostream* progress) {
  char line[256];
  ProgressBar bar(progress ? *progress : out, progress != nullptr);
  for (auto& r : rows) {
    bar.update(static_cast<std::size_t>(&r - rows.data()), rows.size(), "validate",
               "configurations");
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
    if (c0.machine_busy_s >= 0)
      r.other_cores =
          std::max(0.0, ((c1.machine_busy_s - c0.machine_busy_s) - (c1.self_s - c0.self_s)) / wall -
                            r.redis_cores);
    std::snprintf(line, sizeof line,
                  "  k=%-3d %-5s %8.1f/s (predicted %8.1f/s), redis-server %.2f cores, other "
                  "processes %.2f cores\n",
                  r.fanout, variant(r).c_str(), r.measured.throughput_rps, r.sim_x, r.redis_cores,
                  r.other_cores);
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
  const std::vector<calib::ImageSize> sizes{{500, 375}};
  const std::vector<int> qualities{75, 85, 95};
  const std::vector<JpegImage> images = calib::make_corpus(sizes, qualities, 1);
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
  std::vector<calib::NamedCurve> curves = fit_stages(plan, kernels, images, msg, buf, machine);
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
      Row r;
      r.fanout = k;
      r.fused = fused;
      rows.push_back(r);
    }
  out << "\n2. predictions (servesim run " << (dir / "validate-broker-kK-VARIANT.yaml").string()
      << ")\n";
  for (auto& r : rows) {
    const fs::path file =
        dir / ("validate-broker-k" + std::to_string(r.fanout) + "-" + variant(r) + ".yaml");
    write_atomically(
        file, broker_scenario_yaml(plan, r, images, base, machine_info, rtt_ns, charge_kernel));
    simulate_broker(r, file);
  }

  // 3. Measurements.
  out << "\n3. measurements (real pipeline, " << plan.clients << " clients, " << plan.warmup_s
      << " s warm-up + " << plan.window_s << " s window each; stage 1 " << plan.stage1_workers
      << " thread(s), stage 2 " << plan.stage2_workers << ", fused " << plan.fused_workers << ")\n";
  measure_broker(rows, plan, base, server, images, out, o.progress);

  // 4. The comparison.
  out << "\n4. predicted vs measured (error = (predicted - measured) / measured)\n";
  const double mx = compare_broker(rows, out);
  write_atomically(dir / "validate-broker.csv", csv(rows));
  out << "  wrote " << (dir / "validate-broker.csv").string()
      << ", validate-broker-curves.yaml, validate-broker-k*.yaml\n  " << seconds_since(t_start)
      << " s in all\n";
  std::vector<double> others;
  others.reserve(rows.size());
  for (const auto& r : rows) others.push_back(r.other_cores);
  const double busy = std::max(calib_other, median_abs(others));
  return validation_verdict(o, busy, cores, mx, "servesim validate --broker", out);
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
