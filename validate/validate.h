#pragma once
/// `servesim validate`: calibrate this machine's stage curves from isolated microbenchmarks,
/// predict a real in-process pipeline (validate/pipeline.h) with the simulator, run it, and put the
/// prediction beside the measurement (docs/validation.md, rung 4).

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "calib/machine.h"
#include "sim/curves/curve.h"
#include "sim/model/batcher.h"
#include "validate/pipeline.h"
#include "validate/speed_check.h"

namespace servesim::validate {

/// The simulator's own Triton batcher driving the real pipeline's inference stage: the real and
/// the simulated batches are formed by the same code.
class TritonBatchPolicy final : public BatchPolicy {
 public:
  explicit TritonBatchPolicy(const BatchingParams& p) : batcher_(p) {}
  bool enqueue(std::uint32_t id, std::int64_t now_ns) override {
    return batcher_.enqueue(id, now_ns);
  }
  std::int64_t poll(std::int64_t now_ns, std::vector<std::uint32_t>& batch) override {
    return batcher_.poll(now_ns, true, batch, rejected_);
  }

 private:
  DynamicBatcher batcher_;
  std::vector<std::uint32_t> rejected_;  // stays empty: no timeout, no queue bound
};

struct ValidateOptions {
  bool quick = false;
  bool broker = false;  // the two-stage fan-out pipeline through Redis (validate_broker.h)
  std::string out = "validate-results";  // directory for the curves, scenarios, CSV and plot
  std::string kernel = kConv3x3Kernel;   // pipeline.h: calib's kernels or a framework's network
  /// kHttp: the clients send their JPEGs to the pipeline over loopback HTTP, and the prediction
  /// adds the client, the network and a frontend stage (closed loops only).
  Ingest ingest = Ingest::kDirect;
  /// Exit status 1 when the median relative throughput error exceeds this (a gross error).
  double max_median_throughput_error = 0.30;
  /// When > 0: exit with this status instead of judging accuracy when other processes used more
  /// than a quarter of the CPUs during the calibration or the measurements (CTest's
  /// SKIP_RETURN_CODE: a busy machine cannot tell a model error from its neighbours).
  int busy_status = 0;
  /// Hold the CPUs out of deep idle for the whole run, calibration and measurements alike
  /// (calib::ShallowIdle; docs/validation.md, "Idle states"); false: as the OS chooses.
  bool shallow_idle = false;
  /// Where to draw a progress bar over the measurements (the CLI: stderr on a terminal, not
  /// under -q); nullptr: none. Each configuration's line still goes to the output.
  std::ostream* progress = nullptr;
};

/// The spread of one stage's kernel calls during a run: each call's CPU time over the calibrated
/// curve's mean for its input (its image, its batch size), so that inputs of different cost
/// compare. The curve's noise says what the simulator draws for the same ratio.
struct CallSpread {
  std::uint64_t calls = 0;
  double cv = 0;             // of the ratios (0 when fewer than two calls)
  double p99_over_p50 = 0;   // nearest-rank quantiles of the ratios
  double wall_over_cpu = 0;  // the calls' wall time over their CPU time, summed: > 1 when preempted
  double calibrated_cv = 0, calibrated_p99_over_p50 = 0;  // the curve's noise (0: none)
};

/// The spread of `calls` against `curve` (KernelCall: pixels and bytes for preprocessing, the batch
/// for inference); calls 0 when there are none.
CallSpread call_spread(std::span<const KernelCall> calls, const Curve& curve);

/// One configuration, measured and predicted.
struct ValidationRow {
  std::string size;  // "small", "medium"
  bool open = false;
  int concurrency = 0;  // closed
  double rate = 0;      // open, requests per second
  int workers = 1;
  int max_batch_size = 1;
  int max_queue_delay_us = 0;
  Ingest ingest = Ingest::kDirect;
  PipelineResult measured;
  /// CPU time other processes used during the real run, in cores (from /proc/stat less this
  /// process's own; -1 when unknown): what the simulator's idle machine does not have.
  double other_load_cores = -1;
  double sim_throughput = 0, sim_p50_ms = 0, sim_p99_ms = 0, sim_batch_mean = 0;
  double sim_pre_queue_ms = 0, sim_pre_service_ms = 0, sim_inf_queue_ms = 0, sim_inf_service_ms = 0;
  double sim_pre_wait_cores = 0, sim_inf_wait_cores = 0;  // as Prediction's
  std::vector<std::string> overrides;  // --set values that make the scenario this configuration
  /// The CPU time each stage's threads used during the run (schedstat) over what the calibrated
  /// curves say the same work costs: 1 when the kernels ran as fast as in isolation; 0 when
  /// unknown. measured_demand_* is the simulation rerun with these demands (`speedup` = 1 /
  /// ratio): a diagnostic that separates the model's error from its inputs', not a prediction.
  double preprocess_demand_ratio = 0, infer_demand_ratio = 0;
  /// HTTP ingest: the same for the client and the server threads (calibration.h); the rerun keeps
  /// their calibrated costs.
  double client_demand_ratio = 0, frontend_demand_ratio = 0;
  double md_throughput = 0, md_p50_ms = 0, md_p99_ms = 0;
  /// How widely each stage's calls spread during the run (call_spread), and the calibrated
  /// curve's noise beside it.
  CallSpread preprocess_spread, infer_spread;
  /// The prediction, and the measured-demand rerun, with one modelled effect taken out
  /// (kAblations, in order): what modelling it changed.
  struct Prediction {
    double throughput = 0, p50_ms = 0, p99_ms = 0;
    // Time the stage's threads were ready to run but not running (the `wait` phase: more work
    // than its cores), in cores: what schedstat's runnable wait measures.
    double preprocess_wait_cores = 0, infer_wait_cores = 0;
  };
  std::vector<Prediction> ablations, md_ablations;
  /// The machine's speed right before the run (speed_check.h), and the prediction given it: a
  /// prediction still, made before the run from microbenchmarks (0s when not checked).
  SpeedCheck speed;
  Prediction checked;
};

/// The effects `servesim validate` models beyond the stages' curves, each taken out in turn by
/// one --set: the columns `without_<name>_*` of validate.csv.
struct Ablation {
  const char* name;      // CSV column prefix
  const char* label;     // what the printed line says
  const char* override;  // the --set that takes the effect out
};
inline constexpr Ablation kAblations[] = {
    {"wakeup", "without thread wake-ups (node.cpu.wakeup 0)", "node.cpu.wakeup=0us"},
    {"per_core", "processor sharing over all cores instead of per-core run queues",
     "node.cpu.scheduler=shared"},
};

/// The --set values that make validate-SIZE.yaml (calibration.h's scenario_yaml) configuration
/// `r`: its workload, its HTTP server threads (HTTP ingest), workers and batching.
std::vector<std::string> overrides_of(const ValidationRow& r);

/// (predicted - measured) / measured; 0 when both are 0.
double relative_error(double predicted, double measured);

/// Sets r's demand ratios from r.measured: the CPU time each stage's threads used during the run
/// over what the calibrated curves say the same work costs (`pre`: the requests the workers
/// preprocessed, each of `images` drawn uniformly; `infer`: the batches of each size the inference
/// thread ran). A ratio stays 0 when unmeasured.
void demand_ratios(ValidationRow& r, const Curve& pre, std::span<const calib::JpegImage> images,
                   const Curve& infer);

/// The comparison as CSV (one row per configuration, times in ms).
std::string validation_csv(const std::vector<ValidationRow>& rows);

/// Every kernel call of every configuration's window as CSV, one row per call: the configuration
/// (validate.csv's first columns), the stage, when it ended, its input, its wall and CPU time and
/// what the calibrated curve says it costs on average (`pre[i]`: rows[i]'s preprocessing curve).
std::string calls_csv(const std::vector<ValidationRow>& rows, std::span<const Curve* const> pre,
                      const Curve& infer);

/// A gnuplot script (validate.gp) that plots validation_csv's predicted against measured
/// throughput, p50 and p99 beside the diagonal.
std::string validation_plot_script();

/// The machine's and this process's CPU clocks, and the load of other processes between two
/// readings (calib/machine.h: calib bench memory records the same).
using calib::cpu_clock;
using calib::CpuClock;
using calib::other_load;

/// The median and the largest of |v|; 0 when empty.
double median_abs(std::vector<double> v);
double worst_abs(const std::vector<double>& v);

/// The relative errors of throughput, p50 and p99 over a set of configurations.
struct Errors {
  std::vector<double> throughput, p50, p99;
  /// Adds one configuration: the measured run (a real pipeline's result: throughput_rps, p50_s,
  /// p99_s) and the simulated throughput (1/s) and latencies (ms).
  template <class Measured>
  void add(const Measured& m, double x, double p50_ms, double p99_ms) {
    throughput.push_back(relative_error(x, m.throughput_rps));
    p50.push_back(relative_error(p50_ms, m.p50_s * 1e3));
    p99.push_back(relative_error(p99_ms, m.p99_s * 1e3));
  }
  /// "throughput 4.9% / 54.7%, p50 ..., p99 ...": the median and the worst |error| of each.
  std::string summary() const;
};

/// One line per ablation ("  without ...: throughput ..."): the median and worst |error| over
/// the rows that have it, of the predictions' ablations or (measured_demand) the reruns'.
void print_ablation_errors(const std::vector<ValidationRow>& rows, bool measured_demand,
                           std::ostream& out);

/// "+4.9%": a relative error as validate's tables print it.
std::string signed_percent(double e);

/// A number as the validation CSVs write it: four significant digits.
std::string csv_number(double v);

/// The exit status of a validation run: o.busy_status when accuracy is judged and other
/// processes used more than a quarter of the `cores` (busy, in cores); kExitRuntime (1) when the
/// median throughput error exceeds o.max_median_throughput_error (> 0); else 0. When the
/// kernels' CPU demand during the runs (`demand_ratio`: the median of the stages' measured over
/// calibrated demand; 1 when unknown) was off by more than kMaxDemandDrift either way, the
/// prediction's inputs were wrong, and the error judged is `measured_demand_error` (the median
/// throughput error of the rerun given the measured demands) instead; without one (< 0) the run
/// is not judged (o.busy_status, when > 0). `who` names the command in what it prints.
int validation_verdict(const ValidateOptions& o, double busy, int cores,
                       double median_throughput_error, const char* who, std::ostream& out,
                       double demand_ratio = 1.0, double measured_demand_error = -1.0);

/// The largest factor by which the kernels' CPU demand may drift between the calibration and
/// the runs before validation_verdict judges the rerun given the measured demand instead.
inline constexpr double kMaxDemandDrift = 1.25;

/// Runs the whole validation, printing progress and the table to `out`; returns the exit status.
int run_validate(const ValidateOptions& o, std::ostream& out);

}  // namespace servesim::validate
