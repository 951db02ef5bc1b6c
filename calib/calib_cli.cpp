#include "calib/calib_cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>

#include "calib/bench.h"
#ifdef SERVESIM_HIREDIS
#include "calib/broker_bench.h"
#endif
#include "calib/curve_plot.h"
#include "calib/curve_writer.h"
#include "calib/fit.h"
#include "calib/holdout.h"
#include "calib/importers.h"
#include "calib/infer_bench.h"
#include "calib/machine.h"
#include "calib/memory_bench.h"
#include "calib/net_bench.h"
#include "calib/repeat.h"
#include "calib/samples.h"
#include "calib/slowdown_bench.h"
#include "calib/stall_bench.h"
#include "calib/timing.h"
#include "sim/cli/verbs.h"
#include "sim/config/atomic_file.h"
#include "sim/config/error.h"
#include "sim/config/progress.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f.flush()) throw std::runtime_error("cannot write '" + path.string() + "'");
}

std::string percent(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

/// "affine[pixels,bytes]" -> FormSpec (the inverse of FormSpec::label).
FormSpec parse_form(const std::string& text) {
  const auto open = text.find('[');
  const std::string form = text.substr(0, open);
  FormSpec s;
  if (!parse_curve_form(form, s.form))
    throw UsageError("--form: unknown form '" + form +
                     "' (constant, affine[...], power[x], piecewise[batch], table[x])");
  if (open != std::string::npos) {
    if (text.back() != ']') throw UsageError("--form: expected e.g. affine[pixels,bytes]");
    const std::string list = text.substr(open + 1, text.size() - open - 2);
    std::size_t start = 0;
    while (start <= list.size()) {
      const auto comma = list.find(',', start);
      const std::string name =
          list.substr(start, comma == std::string::npos ? list.npos : comma - start);
      CurveInput x;
      if (!parse_curve_input(name, x))
        throw UsageError("--form: unknown input '" + name + "' (batch, pixels, bytes)");
      s.inputs.push_back(x);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  const bool one =
      s.form == CurveForm::kPower || s.form == CurveForm::kPiecewise || s.form == CurveForm::kTable;
  if ((s.form == CurveForm::kConstant && !s.inputs.empty()) ||
      (s.form != CurveForm::kConstant && s.inputs.empty()) || (one && s.inputs.size() != 1))
    throw UsageError("--form: " + text +
                     ": constant takes no inputs, affine one or more, the others exactly one");
  return s;
}

/// The candidates as fixed-width lines: form, parameters, CV error, AICc; '*' on the chosen one.
std::vector<std::string> candidate_lines(const FitReport& r) {
  std::vector<std::string> lines;
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-24s %6s  %9s  %10s", "form", "params", "cv_error", "AICc");
  lines.push_back(buf);
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const FormFit& c = r.candidates[i];
    std::snprintf(buf, sizeof buf, "%c %-24s %6d  %9s  %10.1f", i == r.chosen ? '*' : ' ',
                  c.spec.label().c_str(), c.params, percent(c.cv_error).c_str(), c.aicc);
    lines.push_back(buf);
  }
  return lines;
}

/// The kernels named by --kernel (all of the file's when none), each checked to have samples.
std::vector<std::string> chosen_kernels(std::span<const Sample> samples,
                                        const std::vector<std::string>& named,
                                        const std::string& file) {
  const std::vector<std::string> present = kernel_names(samples);
  for (const auto& k : named) {
    if (std::find(present.begin(), present.end(), k) != present.end()) continue;
    const std::string hint = did_you_mean(k, present);
    std::string all;
    for (const auto& p : present) all += (all.empty() ? "" : ", ") + p;
    throw UsageError("--kernel: '" + k + "' has no samples in " + file +
                     (hint.empty() ? " (kernels: " + all + ")" : "; " + hint));
  }
  return named.empty() ? present : named;
}

struct FitArgs {
  std::string samples, out, machine, form;
  std::vector<std::string> kernels;
  bool keep_outliers = false;
};

/// A fit whose cross-validated error on held-out samples exceeds this is flagged: 5x the
/// +-5% a quick bench moves from run to run on a shared machine (docs/calibration.md).
constexpr double kHoldoutWarning = 0.25;

int cmd_fit(const FitArgs& a, std::ostream& out, std::ostream& err) {
  check_output_paths({{"--out", a.out}}, true);
  const std::vector<Sample> samples = read_samples(a.samples);
  const std::vector<std::string> kernels = chosen_kernels(samples, a.kernels, a.samples);
  std::optional<MachineInfo> machine;
  const fs::path machine_path =
      a.machine.empty() ? fs::path(a.samples).parent_path() / "machine.yaml" : fs::path(a.machine);
  if (!a.machine.empty() || fs::exists(machine_path)) machine = read_machine(machine_path);
  FitOptions opt;
  if (!a.form.empty()) opt.only = parse_form(a.form);
  if (a.keep_outliers) opt.outlier_sigmas = 0;

  std::vector<NamedCurve> curves;
  for (const auto& k : kernels) {
    const std::vector<Observation> obs = kernel_observations(samples, k, a.samples);
    FitReport r;
    try {
      r = fit_curve(obs, opt);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("kernel '" + k + "': " + e.what());
    }
    std::string source = "servesim calib fit of " + a.samples + " (" + std::to_string(obs.size()) +
                         " samples of " + k + ")";
    if (machine) {
      source += "; measured by " + (machine->command.empty() ? "a benchmark" : machine->command) +
                " on " + machine_summary(*machine);
    } else {
      source += "; machine not recorded (no machine.yaml beside the samples)";
    }
    r.curve.source = source;
    NamedCurve nc{k, r.curve, {}};
    const std::string dropped =
        r.outliers ? " (" + std::to_string(r.outliers) +
                         " slower than the fit by > 5 robust sigmas dropped as interference)"
                   : "";
    nc.comments.push_back(k + ": " + std::to_string(obs.size()) + " samples" + dropped +
                          "; forms tried:");
    for (auto& l : candidate_lines(r)) nc.comments.push_back(l);
    out << k << ": " << obs.size() << " samples" << dropped << "\n";
    for (auto& l : candidate_lines(r)) out << l << "\n";
    out << "  chosen " << r.candidates[r.chosen].spec.label() << ": t = " << curve_formula(r.curve)
        << "\n  r2 " << shortest(std::round(r.r2 * 1e4) / 1e4) << ", rmse "
        << duration_text(rounded(r.curve).fit.rmse_ns.value_or(0)) << ", holdout error "
        << percent(r.holdout_error) << ", noise cv " << shortest(std::round(r.noise_cv * 1e4) / 1e4)
        << "\n\n";
    if (r.holdout_error > kHoldoutWarning && obs.size() >= 5) {  // 5 folds: one sample each
      const std::string w = "WARNING: " + k + ": holdout error " + percent(r.holdout_error) +
                            " (over " + percent(kHoldoutWarning) +
                            "): the curve predicts its own held-out samples poorly. Timings "
                            "from a loaded machine (check uptime) or a form that does not fit; "
                            "re-run the bench on a quiet machine, or look at it with calib "
                            "holdout --plot";
      err << "servesim calib fit: " << w << "\n";
      nc.comments.push_back(w);
    }
    curves.push_back(std::move(nc));
  }
  const std::vector<std::string> header{
      "Service-time curves fitted by servesim calib fit from " + a.samples + ".",
      "Above each curve, every form tried: cv_error is the 5-fold cross-validated RMS relative",
      "error on held-out samples, AICc Akaike's corrected criterion; the chosen form (*) has the",
      "fewest parameters among those within 1 point of the best cv_error and within 2 of their",
      "lowest AICc. docs/calibration.md explains."};
  write_file(a.out, curves_yaml(curves, header));
  out << "wrote " << a.out << " (" << curves.size() << " curve" << (curves.size() == 1 ? "" : "s")
      << ")\n";
  return kExitOk;
}

struct HoldoutArgs {
  std::string samples, hold, out, plot, form;
  std::vector<std::string> kernels;
  bool keep_outliers = false;
};

int cmd_holdout(const HoldoutArgs& a, std::ostream& out) {
  std::vector<OutputPath> outputs;
  if (!a.out.empty()) outputs.push_back({"--out", a.out});
  if (!a.plot.empty()) outputs.push_back({"--plot", a.plot});
  check_output_paths(outputs, true);
  HoldoutRule rule;
  try {
    rule = parse_holdout_rule(a.hold);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--hold: ") + e.what());
  }
  const std::vector<Sample> samples = read_samples(a.samples);
  FitOptions opt;
  if (!a.form.empty()) opt.only = parse_form(a.form);
  if (a.keep_outliers) opt.outlier_sigmas = 0;
  std::vector<HoldoutResult> results;
  for (const auto& k : chosen_kernels(samples, a.kernels, a.samples)) {
    try {
      results.push_back(run_holdout(samples, k, rule, opt));
    } catch (const std::invalid_argument& e) {  // the rule leaves this kernel nothing to fit
      throw UsageError(std::string("--hold: ") + e.what());
    }
    out << holdout_table(results.back()) << "\n";
  }
  if (!a.out.empty()) {
    write_file(a.out, holdout_csv(results));
    out << "wrote " << a.out << "\n";
  }
  if (!a.plot.empty()) {
    holdout_plot(results, a.plot);
    out << "wrote " << a.plot << "\n";
  }
  return kExitOk;
}

struct ShowArgs {
  std::string curves, samples, plot;
};

int cmd_show(const ShowArgs& a, std::ostream& out) {
  if (!a.plot.empty()) check_output_paths({{"--plot", a.plot}}, true);
  const std::string& file = a.curves;
  const ConfigNode root = load_config_file(file);
  const ConfigNode* map = root.find("curves");
  if (!map)
    throw ConfigError(root.mark, "curves", "no curves: map in this file (is it a curves file?)");
  const CurveSet set = parse_curves(*map);
  char buf[200];
  std::snprintf(buf, sizeof buf, "%-30s %-10s %-16s %8s %8s %8s %8s\n", "curve", "form", "inputs",
                "noise cv", "r2", "holdout", "samples");
  out << buf;
  for (const auto& [name, c] : set) {
    std::string inputs;
    for (const CurveInput x : c.inputs())
      inputs += (inputs.empty() ? "" : ",") + std::string(curve_input_name(x));
    const std::string cv = c.noise() ? shortest(c.noise()->cv()) : "-";
    const std::string r2 = c.fit.r2 ? shortest(*c.fit.r2) : "-";
    const std::string ho = c.fit.holdout_error ? percent(*c.fit.holdout_error) : "-";
    const std::string n = c.fit.samples ? std::to_string(*c.fit.samples) : "-";
    std::snprintf(buf, sizeof buf, "%-30s %-10s %-16s %8s %8s %8s %8s\n", name.c_str(),
                  std::string(curve_form_name(c.form())).c_str(),
                  inputs.empty() ? "-" : inputs.c_str(), cv.c_str(), r2.c_str(), ho.c_str(),
                  n.c_str());
    out << buf << "  t = " << curve_formula(c) << "\n  source: " << c.source << "\n";
  }
  if (!a.plot.empty()) {
    int panels = 0;
    try {
      panels = plot_curves(set, read_samples(a.samples), a.plot);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--plot: ") + e.what() + " (curves in " + file +
                       ", samples in " + a.samples + ")");
    }
    out << "wrote " << a.plot << " (" << panels << " curve" << (panels == 1 ? "" : "s") << ")\n";
  }
  return kExitOk;
}

struct ImportArgs {
  std::string file, out, name, input_bytes, output_bytes;
  int batch = 1;
  bool append = false;
};

double bytes_arg(const std::string& text, const char* option) {
  if (text.empty()) return 0;
  if (const auto v = parse_number(text); v && *v >= 0) return *v;
  const ParsedQuantity q = parse_quantity(text, Dimension::kBytes);
  if (!q.error.empty()) throw UsageError(std::string(option) + ": " + q.error);
  return q.value;
}

/// Adds `more` to the samples of a.out (or replaces them without --append) and writes it.
std::size_t write_imported(const ImportArgs& a, std::vector<Sample> more) {
  std::vector<Sample> samples;
  if (a.append && fs::exists(a.out)) samples = read_samples(a.out);
  for (Sample& s : more) samples.push_back(std::move(s));
  write_file(a.out, samples_csv(samples));
  return more.size();
}

int cmd_import_trtexec(const ImportArgs& a, std::ostream& out) {
  check_output_paths({{"--out", a.out}}, true);
  const TrtexecImport how{a.name, a.batch, bytes_arg(a.input_bytes, "--input-bytes"),
                          bytes_arg(a.output_bytes, "--output-bytes")};
  const std::size_t n = write_imported(a, import_trtexec(a.file, how));
  out << "imported " << n << " samples (" << a.name << "_infer"
      << (how.input_bytes > 0 ? ", " + a.name + "_h2d" : "")
      << (how.output_bytes > 0 ? ", " + a.name + "_d2h" : "") << ", batch " << a.batch << ") from "
      << a.file << " into " << a.out << "\n";
  return kExitOk;
}

int cmd_import_perf_analyzer(const ImportArgs& a, std::ostream& out) {
  check_output_paths({{"--out", a.out}}, true);
  const PerfAnalyzerImport how{a.name, a.batch, bytes_arg(a.input_bytes, "--input-bytes"),
                               bytes_arg(a.output_bytes, "--output-bytes")};
  PerfAnalyzerSamples got = import_perf_analyzer(a.file, how);
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-22s %14s %14s\n", "load", "infer/s", "server queue");
  out << a.file << ": " << got.rows.size() << " rows\n" << buf;
  for (const PerfAnalyzerRow& r : got.rows) {
    std::snprintf(buf, sizeof buf, "  %-22s %14.6g %12.6gus\n", r.load.c_str(),
                  r.inferences_per_second, r.queue_s * 1e6);
    out << buf;
  }
  const std::size_t n = write_imported(a, std::move(got.samples));
  out << "imported " << n << " samples (" << a.name << "_compute_input, _compute_infer, "
      << "_compute_output; batch " << a.batch << ") into " << a.out
      << "\nServer Queue is not imported: servesim simulates queueing; check it with servesim "
         "compare RESULT.json "
      << a.file << "\n";
  return kExitOk;
}

struct BenchArgs {
  std::string out;
  bool quick = false;
  int repeats = 0, warmup = -1;
  std::string cache = "warm";
};

int cmd_bench(const BenchArgs& a, std::ostream& out, std::ostream& err) {
  BenchPlan plan = bench_plan(a.quick);
  if (a.repeats > 0) plan.repeats = a.repeats;
  if (a.warmup >= 0) plan.warmup = a.warmup;
  plan.cold = a.cache == "cold";
  plan.progress = ProgressBar::on_terminal(err);
  check_output_dir(a.out, "--out", true);  // before the minutes of timing
  fs::create_directories(a.out);
  BenchRun run = run_bench(plan, err);
  run.machine.command = std::string("servesim calib bench") + (a.quick ? " --quick" : "") +
                        (plan.cold ? " --cache cold" : "");
  const fs::path dir(a.out);
  write_file(dir / "samples.csv", samples_csv(run.samples));
  write_file(dir / "machine.yaml", machine_yaml(run.machine));
  write_file(dir / "summary.csv", bench_summary_csv(run.samples));
  write_file(dir / "scaling.csv", scaling_csv(run.scaling));
  out << bench_summary_table(run.samples);
  out << "\ndecode thread scaling (500x375 JPEGs, all threads together):\n";
  for (const ScalingPoint& p : run.scaling) {
    char line[96];
    std::snprintf(line, sizeof line, "  %2d thread%s %9.1f images/s  efficiency %5.1f%%\n",
                  p.threads, p.threads == 1 ? " " : "s", p.images_per_s, 100 * p.efficiency);
    out << line;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", run.machine.seconds);
  out << "\n"
      << run.samples.size() << " samples in " << buf << " s; wrote "
      << (dir / "samples.csv").string() << ", machine.yaml, summary.csv (medians) and scaling.csv\n"
      << "next: servesim calib fit " << (dir / "samples.csv").string() << " --out curves.yaml\n";
  return kExitOk;
}

/// A bench with its own verb under `bench`: --quick, --out DIR.
struct DirBenchArgs {
  std::string out;
  bool quick = false;
};

int cmd_bench_broker(const DirBenchArgs& a, std::ostream& out, std::ostream& err) {
#ifdef SERVESIM_HIREDIS
  const fs::path dir(a.out);
  check_output_dir(dir, "--out", true);
  fs::create_directories(dir);
  // The server's own files (its log) go to a private directory, removed however the bench ends
  // (calib/private_dir.h); a server that does not start puts its log in the error.
  BrokerPlan plan = broker_plan(a.quick);
  plan.progress = ProgressBar::on_terminal(err);
  BrokerRun run = run_broker_bench(plan, err);
  run.machine.command = std::string("servesim calib bench broker") + (a.quick ? " --quick" : "");
  write_file(dir / "samples.csv", samples_csv(run.samples));
  write_file(dir / "machine.yaml", machine_yaml(run.machine));
  write_file(dir / "broker_scaling.csv", broker_scaling_csv(run.scaling));
  out << "wrote " << (dir / "samples.csv").string()
      << " (redis_push, redis_pop: server CPU per operation by payload bytes; redis_op: their "
         "mean; redis_rtt: the rest of a round trip), machine.yaml and broker_scaling.csv\n"
      << "next: servesim calib fit " << (dir / "samples.csv").string()
      << " --out redis.yaml, then broker: {kind: redis, op_cost: {curve: redis_op}, rtt: ...}\n";
  return kExitOk;
#else
  (void)a;
  (void)out;
  err << "servesim calib bench broker: this servesim was built without hiredis (Debian: "
         "libhiredis-dev; bash setup.sh installs it)\n";
  return kExitRuntime;
#endif
}

int cmd_bench_net(const DirBenchArgs& a, std::ostream& out, std::ostream& err) {
  const fs::path dir(a.out);
  check_output_dir(dir, "--out", true);  // before the seconds of timing
  fs::create_directories(dir);
  NetPlan plan = net_plan(a.quick, allowed_cpus());
  plan.progress = ProgressBar::on_terminal(err);
  NetRun run = run_net_bench(plan, err);
  run.machine.command = std::string("servesim calib bench net") + (a.quick ? " --quick" : "");
  write_file(dir / "samples.csv", samples_csv(run.samples));
  write_file(dir / "machine.yaml", machine_yaml(run.machine));
  write_file(dir / "net_summary.csv", bench_summary_csv(run.samples));
  write_file(dir / "net_scaling.csv", net_scaling_csv(run.scaling));
  out << "medians per request (one client thread, one server thread):\n"
      << net_table(run.samples) << "wrote " << (dir / "samples.csv").string()
      << " (http_server_request, http_client_request: CPU per request by payload bytes; "
         "http_loopback_request: the round trip), machine.yaml, net_summary.csv and "
         "net_scaling.csv\n"
      << "next: servesim calib fit " << (dir / "samples.csv").string()
      << " --out net.yaml, then a frontend stage's service: {curve: http_server_request}\n";
  return kExitOk;
}

int cmd_bench_memory(const DirBenchArgs& a, std::ostream& out, std::ostream& err) {
  const fs::path dir(a.out);
  check_output_dir(dir, "--out", true);  // before the minute of timing
  fs::create_directories(dir);
  MemoryPlan plan = memory_plan(a.quick);
  plan.progress = ProgressBar::on_terminal(err);
  MemoryRun run = run_memory_bench(plan, err);
  run.machine.command = std::string("servesim calib bench memory") + (a.quick ? " --quick" : "");
  write_memory_outputs(dir, run);
  out << memory_table(run) << "\nwrote " << (dir / "memory.csv").string()
      << ", efficiency.csv, efficiency.yaml (node.cpu.efficiency and node.memory) and "
         "machine.yaml\n";
  return kExitOk;
}

int cmd_bench_stalls(const DirBenchArgs& a, std::ostream& out, std::ostream& err) {
  const fs::path dir(a.out);
  check_output_dir(dir, "--out", true);
  fs::create_directories(dir);
  const StallPlan plan = stall_plan(a.quick);
  MachineInfo machine = this_machine();
  machine.command = std::string("servesim calib bench stalls") + (a.quick ? " --quick" : "");
  err << "servesim calib bench stalls: " << plan.seconds << " s on each of " << machine.cores
      << " cores (one spinning thread each)\n";
  const std::vector<CoreStalls> cores = probe_stalls(plan);
  const StallSummary s = summarize_stalls(cores, plan.seconds);
  write_atomically(dir / "stalls.csv", stalls_csv(cores));
  write_atomically(dir / "stalls.yaml", stalls_yaml(s, plan, machine));
  write_atomically(dir / "machine.yaml", machine_yaml(machine));
  char b[200];
  for (const CoreStalls& c : cores) {
    std::snprintf(b, sizeof b, "  cpu %d: %.2f stalls/s\n", c.cpu,
                  static_cast<double>(c.gaps.size()) / plan.seconds);
    out << b;
  }
  std::snprintf(b, sizeof b,
                "  per core: %.2f stalls/s, %.3f%% of the time; median length %.0f us, longest "
                "%.0f us\n",
                s.per_core_rate, s.stalled_fraction * 100,
                s.quantiles.empty() ? 0.0 : static_cast<double>(s.quantiles[10]) / 1e3,
                s.quantiles.empty() ? 0.0 : static_cast<double>(s.quantiles.back()) / 1e3);
  out << b << "wrote " << (dir / "stalls.csv").string()
      << ", stalls.yaml (node.cpu.stalls) and machine.yaml\n";
  return kExitOk;
}

int cmd_bench_slowdowns(const DirBenchArgs& a, std::ostream& out, std::ostream& err) {
  const fs::path dir(a.out);
  check_output_dir(dir, "--out", true);
  fs::create_directories(dir);
  const SlowdownPlan plan = slowdown_plan(a.quick);
  MachineInfo machine = this_machine();
  machine.command = std::string("servesim calib bench slowdowns") + (a.quick ? " --quick" : "");
  err << "servesim calib bench slowdowns: " << plan.seconds << " s on each of " << machine.cores
      << " cores (a fixed kernel back to back on each)\n";
  const std::vector<CoreSpeed> cores = probe_speed(plan);
  const SlowdownSummary s = summarize_slowdowns(cores, plan);
  write_atomically(dir / "slowdowns.csv", slowdowns_csv(cores));
  write_atomically(dir / "slowdowns.yaml", slowdowns_yaml(s, plan, machine));
  write_atomically(dir / "machine.yaml", machine_yaml(machine));
  char b[240];
  for (const CoreSpeed& c : cores) {
    const auto slow = std::count_if(c.windows.begin(), c.windows.end(),
                                    [&](double w) { return w < plan.threshold; });
    std::snprintf(b, sizeof b, "  cpu %d: %zu windows of %.0f ms, %.2f%% below %.2f\n", c.cpu,
                  c.windows.size(), plan.window_s * 1e3,
                  c.windows.empty()
                      ? 0.0
                      : 100.0 * static_cast<double>(slow) / static_cast<double>(c.windows.size()),
                  plan.threshold);
    out << b;
  }
  std::snprintf(b, sizeof b,
                "  per core: %.2f slowdowns/s, %.2f%% of the time, at %.2f of the speed; median "
                "length %.0f ms, longest %.0f ms\n",
                s.per_core_rate, s.slowed_fraction * 100, s.speed,
                s.quantiles.empty() ? 0.0 : static_cast<double>(s.quantiles[10]) / 1e6,
                s.quantiles.empty() ? 0.0 : static_cast<double>(s.quantiles.back()) / 1e6);
  out << b << "wrote " << (dir / "slowdowns.csv").string()
      << ", slowdowns.yaml (node.cpu.slowdowns) and machine.yaml\n";
  return kExitOk;
}

/// `bench infer`: the directory bench's options and which networks, batches and threads.
struct InferArgs {
  DirBenchArgs dir;
  std::vector<std::string> frameworks, models;
  std::vector<int> batches;
  int threads = 1;
  int repeats = 0;  // 0: the plan's
  int copies = 0;   // > 0: also 1..copies copies of each network at once (infer_efficiency.csv)
};

/// `bench infer --copies N`: per network, each copy's speed with 1..N running at once.
std::string infer_efficiency_csv(const InferRun& run, int copies, int passes, std::ostream& err) {
  std::string csv = "framework,model,copies,median_pass_s,factor\n";
  for (const InferLoad& l : run.loads) {
    const InferEfficiency e = measure_infer_efficiency(l.model + "_" + l.framework, copies, passes);
    for (std::size_t k = 0; k < e.factor.size(); ++k) {
      char b[160];
      std::snprintf(b, sizeof b, "%s,%s,%d,%.9g,%.4f\n", l.framework.c_str(), l.model.c_str(),
                    e.busy_cores[k], e.median_seconds[k], e.factor[k]);
      csv += b;
      std::snprintf(b, sizeof b,
                    "  %s %s, %d at once: %.1f ms a pass at batch 1, per-copy speed %.3f\n",
                    l.framework.c_str(), l.model.c_str(), e.busy_cores[k],
                    e.median_seconds[k] * 1e3, e.factor[k]);
      err << b;
    }
  }
  return csv;
}

int cmd_bench_infer(const InferArgs& a, std::ostream& out, std::ostream& err) {
  const fs::path dir(a.dir.out);
  check_output_dir(dir, "--out", true);  // before the minutes of timing
  InferPlan plan = infer_plan(a.dir.quick);
  plan.frameworks = a.frameworks;
  plan.models = a.models;
  if (!a.batches.empty()) plan.batches = a.batches;
  if (a.repeats > 0) plan.repeats = a.repeats;
  plan.threads = a.threads;
  plan.progress = ProgressBar::on_terminal(err);
  fs::create_directories(dir);
  InferRun run = run_infer_bench(plan, err);
  run.machine.command = "servesim calib bench infer" + std::string(a.dir.quick ? " --quick" : "") +
                        " --threads " + std::to_string(plan.threads);
  write_file(dir / "samples.csv", samples_csv(run.samples));
  write_file(dir / "machine.yaml", machine_yaml(run.machine));
  write_file(dir / "infer_memory.csv", infer_memory_csv(run.memory));
  write_file(dir / "infer_load.csv", infer_load_csv(run.loads));
  write_file(dir / "infer_summary.csv", infer_summary_csv(infer_summary(run)));
  if (a.copies > 0)
    write_file(dir / "infer_efficiency.csv",
               infer_efficiency_csv(run, a.copies, std::max(plan.repeats, 6), err));
  out << infer_table(run) << "wrote " << (dir / "samples.csv").string()
      << " (<model>_<framework>: seconds per batch), infer_memory.csv (peak bytes by batch), "
         "infer_load.csv (build and first-pass seconds, weights), infer_summary.csv (medians), "
      << (a.copies > 0 ? "infer_efficiency.csv (copies at once), " : "") << "and machine.yaml\n"
      << "next: servesim calib fit " << (dir / "samples.csv").string()
      << " --out frameworks.yaml, then an inference stage's service: {curve: resnet50_libtorch}\n";
  return kExitOk;
}

/// `bench`, and its own verbs `bench broker`, `bench net`, `bench memory` (the same two
/// options) and `bench infer`.
struct BenchVerbArgs {
  BenchArgs bench;
  DirBenchArgs broker, net, memory, stalls, slowdowns;
  InferArgs infer;
  CLI::App* broker_cmd = nullptr;
  CLI::App* net_cmd = nullptr;
  CLI::App* memory_cmd = nullptr;
  CLI::App* stalls_cmd = nullptr;
  CLI::App* slowdowns_cmd = nullptr;
  CLI::App* infer_cmd = nullptr;
};

/// A bench of its own under `bench` (broker, memory): --quick and a required --out DIR.
CLI::App* add_dir_bench(CLI::App& bench, const std::string& name, const std::string& help,
                        const std::string& quick_help, const std::string& out_help,
                        DirBenchArgs& args) {
  CLI::App* cmd = bench.add_subcommand(name, help);
  cmd->add_flag("--quick", args.quick, quick_help);
  cmd->add_option("--out", args.out, out_help)->required();
  return cmd;
}

VerbAction add_bench(CLI::App& bench) {
  auto a = std::make_shared<BenchVerbArgs>();
  BenchArgs& ba = a->bench;
  bench.add_flag("--quick", ba.quick, "Fewer sizes and repeats: well under 2 minutes");
  bench.add_option("--out", ba.out, "Directory for samples.csv, machine.yaml, summary.csv");
  bench.add_option("--repeats", ba.repeats, "Timed calls per item (default 5 quick, 15 full)")
      ->check(CLI::PositiveNumber);
  bench.add_option("--warmup", ba.warmup, "Untimed passes first (default 1 quick, 2 full)")
      ->check(CLI::NonNegativeNumber);
  bench
      .add_option("--cache", ba.cache,
                  "Decode, resize, normalise timed warm (after a call of the same item) or "
                  "cold (after a sweep of twice the last-level cache, as on a new request)")
      ->check(CLI::IsMember({"warm", "cold"}))
      ->default_str("warm");
  a->broker_cmd = add_dir_bench(
      bench, "broker",
      "Start a local redis-server, time LPUSH/RPOP by payload size and clients, stop it",
      "Fewer payload sizes and operations: a few seconds",
      "Directory for samples.csv, machine.yaml, broker_scaling.csv", a->broker);
  a->net_cmd = add_dir_bench(
      bench, "net",
      "Time HTTP inference requests over loopback: CPU per request on each side, by size",
      "Fewer payload sizes and requests: a few seconds",
      "Directory for samples.csv, machine.yaml, net_summary.csv, net_scaling.csv", a->net);
  a->memory_cmd = add_dir_bench(
      bench, "memory",
      "Measure host memory bandwidth and each kernel's per-thread speed with k threads busy",
      "Fewer passes and shorter runs: about 15 s",
      "Directory for memory.csv, efficiency.csv, efficiency.yaml, machine.yaml", a->memory);
  a->stalls_cmd = add_dir_bench(
      bench, "stalls",
      "Find when each core runs nothing (a spinning thread per core reading the clock): "
      "node.cpu.stalls",
      "5 s instead of 30 s", "Directory for stalls.csv, stalls.yaml, machine.yaml", a->stalls);
  a->slowdowns_cmd = add_dir_bench(
      bench, "slowdowns",
      "Find when each core runs slower for a while (a fixed kernel back to back on each core): "
      "node.cpu.slowdowns",
      "5 s instead of 30 s", "Directory for slowdowns.csv, slowdowns.yaml, machine.yaml",
      a->slowdowns);
  InferArgs& ia = a->infer;
  a->infer_cmd = add_dir_bench(
      bench, "infer",
      "Time ResNet-50 and ViT-B/16 (random weights) in libtorch, OpenCV DNN and calib's Eigen "
      "block by batch: seconds, peak memory, build and first-pass time",
      "Batches 1, 2, 4, 8 and 2 timed passes each: a few minutes on 2 cores",
      "Directory for samples.csv, infer_memory.csv, infer_load.csv, infer_summary.csv, "
      "machine.yaml",
      ia.dir);
  a->infer_cmd
      ->add_option("--frameworks", ia.frameworks,
                   "Frameworks to time (libtorch, opencv_dnn, eigen; default: all built)")
      ->delimiter(',');
  a->infer_cmd->add_option("--models", ia.models, "Networks (resnet50, vit_b16; default: all)")
      ->delimiter(',');
  a->infer_cmd
      ->add_option("--batches", ia.batches,
                   "Batch sizes, e.g. 1,4,16 (default 1,2,4,8 quick, 1..128 in powers of two)")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  a->infer_cmd->add_option("--threads", ia.threads, "Each framework's threads (default 1)")
      ->check(CLI::Range(1, 1024));
  a->infer_cmd->add_option("--repeats", ia.repeats, "Timed passes per batch (default 2 quick, 3)")
      ->check(CLI::Range(1, 1000));
  a->infer_cmd
      ->add_option("--copies", ia.copies,
                   "Also run 1..N copies of each network at once, one thread each, at batch 1, "
                   "and write infer_efficiency.csv: each copy's speed over one alone "
                   "(node.cpu.efficiency's factor for N one-thread instances)")
      ->check(CLI::Range(1, 1024));
  return [a](std::ostream& out, std::ostream& err) {
    if (a->infer_cmd->parsed()) return cmd_bench_infer(a->infer, out, err);
    if (a->broker_cmd->parsed()) return cmd_bench_broker(a->broker, out, err);
    if (a->net_cmd->parsed()) return cmd_bench_net(a->net, out, err);
    if (a->memory_cmd->parsed()) return cmd_bench_memory(a->memory, out, err);
    if (a->stalls_cmd->parsed()) return cmd_bench_stalls(a->stalls, out, err);
    if (a->slowdowns_cmd->parsed()) return cmd_bench_slowdowns(a->slowdowns, out, err);
    if (a->bench.out.empty()) throw UsageError("bench: --out DIR is required");
    return cmd_bench(a->bench, out, err);
  };
}

VerbAction add_fit(CLI::App& fit) {
  auto fa = std::make_shared<FitArgs>();
  fit.add_option("samples", fa->samples, "Samples CSV (kernel,batch,pixels,bytes,seconds,...)")
      ->required();
  fit.add_option("--out", fa->out, "Curves YAML to write")->required();
  fit.add_option("--kernel", fa->kernels, "Fit only this kernel (repeatable; default: all)")
      ->allow_extra_args(false);
  fit.add_option("--form", fa->form,
                 "Fit only this form, e.g. affine[pixels,bytes] (default: choose by "
                 "cross-validation)");
  fit.add_flag("--keep-outliers", fa->keep_outliers,
               "Fit every sample (default: drop those slower than the fit by > 5 robust sigmas, "
               "as interference)");
  fit.add_option("--machine", fa->machine,
                 "machine.yaml naming where the samples were measured (default: the one beside "
                 "the samples)");
  return [fa](std::ostream& out, std::ostream& err) { return cmd_fit(*fa, out, err); };
}

/// An import's options: the same for each tool it reads.
void add_import_options(CLI::App& c, ImportArgs& ia, const char* what) {
  c.add_option("file", ia.file, what)->required();
  c.add_option("--name", ia.name, "Curve name prefix, e.g. vit_base_trt")->required();
  c.add_option("--batch", ia.batch, "The batch of each inference (-b / the input shape)")
      ->required()
      ->check(CLI::PositiveNumber);
  c.add_option("--input-bytes", ia.input_bytes,
               "Bytes of one batch's input (e.g. 602112 or 588KiB)");
  c.add_option("--output-bytes", ia.output_bytes, "Bytes of one batch's output");
  c.add_option("--out", ia.out, "Samples CSV to write")->required();
  c.add_flag("--append", ia.append,
             "Add to --out if it exists (one import per batch size, then one fit)");
}

VerbAction add_import(CLI::App& import) {
  auto ia = std::make_shared<ImportArgs>();
  import.require_subcommand(1);
  CLI::App* trtexec = import.add_subcommand(
      "trtexec", "trtexec --exportTimes JSON: NAME_infer (and NAME_h2d, NAME_d2h) samples");
  add_import_options(*trtexec, *ia, "The JSON that trtexec --exportTimes=FILE wrote");
  CLI::App* perf = import.add_subcommand(
      "perf-analyzer",
      "perf_analyzer -f CSV: NAME_compute_input, _compute_infer, _compute_output samples");
  add_import_options(*perf, *ia, "The CSV that perf_analyzer -f FILE wrote");
  return [ia, trtexec](std::ostream& out, std::ostream&) {
    return trtexec->parsed() ? cmd_import_trtexec(*ia, out) : cmd_import_perf_analyzer(*ia, out);
  };
}

struct RepeatArgs {
  std::vector<std::string> samples, kernels;
  std::string out, form;
  bool keep_outliers = false;
};

int cmd_repeat(const RepeatArgs& a, std::ostream& out) {
  if (a.samples.size() < 2)
    throw UsageError("repeat: give the samples.csv of at least two runs of the same bench");
  if (!a.out.empty()) check_output_paths({{"--out", a.out}}, true);
  std::vector<std::vector<Sample>> runs;
  std::vector<Sample> pooled;
  for (const std::string& f : a.samples) {
    runs.push_back(read_samples(f));
    pooled.insert(pooled.end(), runs.back().begin(), runs.back().end());
  }
  FitOptions opt;
  if (!a.form.empty()) opt.only = parse_form(a.form);
  if (a.keep_outliers) opt.outlier_sigmas = 0;
  const std::vector<CurveRepeat> curves =
      repeat_fits(runs, a.samples, chosen_kernels(pooled, a.kernels, "any of the runs"), opt);
  out << a.samples.size() << " runs\n\n" << repeat_table(curves);
  if (!a.out.empty()) {
    write_file(a.out, repeat_csv(curves));
    out << "wrote " << a.out << "\n";
  }
  return kExitOk;
}

VerbAction add_repeat(CLI::App& repeat) {
  auto ra = std::make_shared<RepeatArgs>();
  repeat.add_option("samples", ra->samples, "The samples.csv of each run (two or more)")
      ->required();
  repeat.add_option("--kernel", ra->kernels, "Only this kernel (repeatable; default: all)")
      ->allow_extra_args(false);
  repeat.add_option("--form", ra->form,
                    "Fit this form on every run (default: the one chosen on all runs pooled)");
  repeat.add_flag("--keep-outliers", ra->keep_outliers, "Fit every sample (as calib fit)");
  repeat.add_option("--out", ra->out, "CSV to write: a row per kernel and coefficient");
  return [ra](std::ostream& out, std::ostream&) { return cmd_repeat(*ra, out); };
}

VerbAction add_holdout(CLI::App& holdout) {
  auto ha = std::make_shared<HoldoutArgs>();
  holdout.add_option("samples", ha->samples, "Samples CSV")->required();
  holdout
      .add_option("--hold", ha->hold,
                  "Items to hold out: COLUMN=V1,V2,... with COLUMN batch, pixels, bytes, "
                  "width, height, quality or size (WxH), e.g. batch=3,24,48,96,128")
      ->required();
  holdout.add_option("--kernel", ha->kernels, "Only this kernel (repeatable; default: all)")
      ->allow_extra_args(false);
  holdout.add_option("--form", ha->form, "Fit only this form (default: choose as calib fit does)");
  holdout.add_flag("--keep-outliers", ha->keep_outliers, "Fit every sample (as calib fit)");
  holdout.add_option("--out", ha->out, "CSV to write: a row per item, measured vs predicted");
  holdout.add_option("--plot", ha->plot, "PNG or SVG to draw: measured and predicted vs input");
  return [ha](std::ostream& out, std::ostream&) { return cmd_holdout(*ha, out); };
}

VerbAction add_show(CLI::App& show) {
  auto sa = std::make_shared<ShowArgs>();
  show.add_option("curves", sa->curves, "Curves YAML")->required();
  show.add_option("--samples", sa->samples, "Samples CSV the curves were fitted to (for --plot)");
  show.add_option("--plot", sa->plot, "PNG or SVG to draw: each curve over its samples")
      ->needs(show.get_option("--samples"));
  return [sa](std::ostream& out, std::ostream&) { return cmd_show(*sa, out); };
}

}  // namespace

std::shared_ptr<const VerbTable> calib_verbs() {
  // In the order the help lists them.
  return std::make_shared<const VerbTable>(VerbTable{
      "servesim calib",
      "servesim calib: measure this machine's kernels and fit service-time curves",
      "servesim calib",
      "bench, fit, holdout, repeat, show or import",
      "",
      {{"bench",
        "Time JPEG decode, resize, normalise and memcpy on this machine (one core); --out is a "
        "directory",
        add_bench, nullptr},
       {"fit", "Fit a curve per kernel of a samples CSV", add_fit, nullptr},
       {"import", "Turn another tool's measurements into samples for calib fit", add_import,
        nullptr},
       {"holdout", "Fit on some items, predict the held-out others, and report the errors",
        add_holdout, nullptr},
       {"repeat", "Fit the same kernels on several runs' samples: how much each coefficient moves",
        add_repeat, nullptr},
       {"show", "Print the curves of a curves YAML as a table; plot them against their samples",
        add_show, nullptr}}});
}

int calib_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return run_verbs(*calib_verbs(), args, out, err);
}

}  // namespace servesim::calib
