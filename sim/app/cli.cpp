#include "sim/app/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/infer_bench.h"
#include "sim/app/amdahl.h"
#include "sim/app/catalog.h"
#include "sim/app/compare.h"
#include "sim/app/html_report.h"
#include "sim/app/plan.h"
#include "sim/app/plot.h"
#include "sim/app/sweep_report.h"
#include "sim/cli/verbs.h"
#include "sim/config/atomic_file.h"
#include "sim/config/error.h"
#include "sim/config/progress.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/metrics/report.h"
#include "sim/metrics/result_schema.h"
#include "sim/metrics/trace.h"
#include "sim/run/replications.h"
#include "sim/run/sweep.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/scenario.h"
#include "validate/validate.h"
#include "validate/validate_broker.h"

namespace servesim {

namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> sets;
  std::string json_path, csv_path, trace_path;
  std::string out_path, format;  // --out FILE, its format from the extension or --format
  std::string trace_window = "100ms";
  int jobs = 0;
  int uncertainty = 0;       // draws of the curves' bands; 0: none
  bool verbose_csv = false;  // perf_analyzer's --verbose-csv layout
  bool quiet = false;
  CatalogChoice catalog;  // --hardware, --model, ...: a scenario composed from the catalog
};

/// The scenario `run` simulates: FILE, the built-in default, or one composed from the catalog.
LoadedScenario scenario_of(const RunOptions& o) {
  if (o.catalog.hardware.empty()) return load_scenario(o.file, o.sets);
  if (!o.file.empty())
    throw UsageError("run: give a scenario FILE or --hardware/--model, not both");
  return compose_scenario(o.catalog, o.sets);
}

/// --trace-window as simulated nanoseconds: at least 1 ns (a shorter one rounds to an empty
/// trace), and the window's end, warm-up + window, within the int64 nanosecond clock.
Time trace_window(const std::string& text, Time warmup) {
  const SourceMark at{"--trace-window", 1, 1};
  const ParsedQuantity w = parse_quantity(text, Dimension::kDuration);
  if (!w.error.empty()) throw ConfigError(at, "", w.error);
  const std::optional<Time> ns = round_to_time(w.value * 1e9);
  if (!(w.value * 1e9 >= 1))
    throw ConfigError(at, "", "the window must be at least 1ns, got '" + text + "'");
  if (!ns || *ns > kTimeMax - warmup)
    throw ConfigError(at, "",
                      "'" + text + "' is longer than the simulated clock counts: " +
                          "warm-up + window must stay under 2^63 ns (292 years)");
  return *ns;
}

/// Writes `text` to the file `path`, or to `standard_out` when the path is "-".
void write_output(const std::string& path, const std::string& text, std::ostream& standard_out) {
  if (is_stdout_path(path))
    standard_out << text << std::flush;
  else
    write_atomically(path, text);
}

/// An output option's value may not be empty (else `--json ''` would read as no --json).
const CLI::Validator kOutputPath(
    [](const std::string& v) { return v.empty() ? std::string("the output path is empty") : ""; },
    "PATH");

/// The scenario as the header names it: its file, then each --set as typed (quoted when it
/// holds a space), so that what-if runs do not look alike.
std::string with_overrides(const std::string& source, const std::vector<std::string>& sets) {
  std::string shown = source;
  for (const auto& set : sets)
    shown += set.find(' ') == std::string::npos ? " --set " + set : " --set '" + set + "'";
  return shown;
}

/// run's results in `format` (json, csv, or txt and md: the summary people read).
std::string run_document(const std::string& format, const RunOptions& o, const LoadedScenario& sc,
                         const RunSummary& s, const std::optional<UncertaintySummary>& u) {
  if (format == "json")
    return summary_json(s, resolved_config(sc.params), u ? &*u : nullptr).dump(2) + "\n";
  if (format == "csv")
    return summary_csv(s, sc.params.workload, u ? &*u : nullptr,
                       o.verbose_csv ? CsvLayout::kVerbose : CsvLayout::kPlain);
  std::ostringstream text;
  print_summary(text, s, with_overrides(sc.source, o.sets));
  if (u) print_uncertainty(text, *u, s);
  return text.str();
}

const std::vector<std::string> kRunFormats{"json", "csv", "txt", "md"};

int cmd_run(const RunOptions& o, std::ostream& standard_out, std::ostream& err) {
  std::vector<OutputPath> outputs;
  for (const auto& [option, path] : {std::pair{"--json", &o.json_path},
                                     {"--trace", &o.trace_path},
                                     {"--csv", &o.csv_path},
                                     {"--out", &o.out_path}})
    if (!path->empty()) outputs.push_back({option, *path, true});
  const std::string out_format =
      o.out_path.empty() ? "" : output_format("--out", o.out_path, o.format, kRunFormats);
  if (o.verbose_csv && o.csv_path.empty() && out_format != "csv")
    throw UsageError(
        "--verbose-csv: there is no CSV to lay out: give --csv FILE or --out FILE.csv");
  check_output_paths(outputs);
  // A document on stdout is all that stdout carries: the summary goes to stderr then.
  bool piped = false;
  for (const auto& x : outputs) piped = piped || is_stdout_path(x.path);
  std::ostream& out = piped ? err : standard_out;
  const LoadedScenario sc = scenario_of(o);
  if (o.file.empty() && o.catalog.hardware.empty() && !o.quiet)
    out << "No scenario file given: running the built-in default, the paper's node (ViT-base on "
           "an RTX 4090, medium images, GPU preprocessing; `servesim run FILE` runs yours).\n";
  const int jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<ChromeTrace> trace;
  if (!o.trace_path.empty())
    trace = std::make_unique<ChromeTrace>(sc.params.run.warmup,
                                          trace_window(o.trace_window, sc.params.run.warmup));
  ProgressBar bar(err, !o.quiet && ProgressBar::stderr_is_terminal());
  const RunSummary s =
      run_scenario(sc.params, jobs, trace.get(), [&bar](std::size_t done, std::size_t total) {
        bar.update(done, total, "run", "replications");
      });
  bar.finish();
  std::optional<UncertaintySummary> u;
  if (o.uncertainty > 0) u = run_uncertainty(sc.params, o.uncertainty, jobs);
  if (!o.quiet) print_summary(out, s, with_overrides(sc.source, o.sets));
  if (!o.quiet && u) print_uncertainty(out, *u, s);
  const auto wrote = [&](const std::string& path) { return !o.quiet && !is_stdout_path(path); };
  if (!o.json_path.empty()) {
    const auto j = result_json(sc.params, s, u ? &*u : nullptr);
    write_output(o.json_path, j.dump(2) + "\n", standard_out);
    if (wrote(o.json_path)) out << "\n  wrote " << o.json_path << "\n";
  }
  if (trace) {
    write_output(o.trace_path, trace->json().dump() + "\n", standard_out);
    if (wrote(o.trace_path))
      out << "  wrote " << o.trace_path << " (" << trace->events()
          << " events; open it in ui.perfetto.dev or chrome://tracing)\n";
  }
  if (!o.csv_path.empty()) {
    write_output(o.csv_path,
                 summary_csv(s, sc.params.workload, u ? &*u : nullptr,
                             o.verbose_csv ? CsvLayout::kVerbose : CsvLayout::kPlain),
                 standard_out);
    if (wrote(o.csv_path)) out << "  wrote " << o.csv_path << "\n";
  }
  if (!out_format.empty()) {
    write_output(o.out_path, run_document(out_format, o, sc, s, u), standard_out);
    if (wrote(o.out_path)) out << "  wrote " << o.out_path << " (" << out_format << ")\n";
  }
  return kExitOk;
}

struct SweepArgs {
  CatalogChoice catalog;  // --hardware, --model, ...: sweep a scenario composed from it
  std::string file, out, grid_file;
  std::vector<std::string> sets, grids;
  int jobs = 0;
  int uncertainty = 0;
  bool resume = false, quiet = false, verbose_csv = false;
};

int cmd_sweep(const SweepArgs& a, std::ostream& out, std::ostream& err) {
  SweepOptions o;
  o.scenario = a.file;
  if (!a.catalog.hardware.empty()) {
    if (!a.file.empty())
      throw UsageError("sweep: give a scenario FILE or --hardware/--model, not both");
    o.composed = compose_config(a.catalog, {}).root;  // --set applies at each point, as to a FILE
  }
  o.sets = a.sets;
  for (std::size_t i = 0; i < a.grids.size(); ++i)
    o.grid.push_back(parse_grid_arg(a.grids[i], static_cast<int>(i + 1)));
  if (!a.grid_file.empty())
    for (auto& axis : load_grid_file(a.grid_file)) o.grid.push_back(std::move(axis));
  if (o.grid.empty()) {
    err << "servesim: sweep needs --grid key=v1,v2,... (or --grid-file FILE)\n";
    return kExitUsage;
  }
  o.out = a.out;
  o.jobs =
      a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.resume = a.resume;
  o.uncertainty = a.uncertainty;
  o.verbose_csv = a.verbose_csv;
  o.progress = !a.quiet;
  const std::size_t simulated = run_sweep(o, err);
  if (!a.quiet)
    out << "servesim sweep: " << simulated << " point(s) simulated now; results in " << a.out
        << " and " << jsonl_path(a.out).string() << "\n";
  return kExitOk;
}

/// Under mpirun every rank runs the sweep with the same arguments, and so meets the same bad
/// input: rank 0 speaks for all (an error only another rank meets reaches it by message).
int cmd_sweep_unheard(const SweepArgs& a) {
  std::ostringstream unheard;
  try {
    return cmd_sweep(a, unheard, unheard);
  } catch (const ConfigError&) {
    return kExitUsage;
  } catch (const std::exception&) {
    return kExitRuntime;
  }
}

struct AmdahlArgs {
  std::string file, stage, csv, out, format;
  std::vector<std::string> sets;
  std::vector<double> speedups{1, 2, 4, 8, 16};
  int jobs = 0;
};

int cmd_amdahl(const AmdahlArgs& a, std::ostream& standard_out, std::ostream& err) {
  std::vector<OutputPath> outputs;
  if (!a.csv.empty()) outputs.push_back({"--csv", a.csv, true});
  if (!a.out.empty()) outputs.push_back({"--out", a.out, true});
  const std::string format =
      a.out.empty() ? "" : output_format("--out", a.out, a.format, {"csv", "txt", "md"});
  check_output_paths(outputs);
  // stdout: the document alone.
  std::ostream& out = is_stdout_path(a.csv) || is_stdout_path(a.out) ? err : standard_out;
  const int jobs =
      a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ProgressBar bar(err, ProgressBar::stderr_is_terminal());  // -q: `err` is silenced
  const AmdahlResult r = run_amdahl(
      a.file, a.sets, a.stage, a.speedups, jobs,
      [&bar](std::size_t done, std::size_t n) { bar.update(done, n, "amdahl", "steps"); });
  bar.finish();
  out << amdahl_table(r);
  if (!a.csv.empty()) {
    write_output(a.csv, amdahl_csv(r), standard_out);
    if (!is_stdout_path(a.csv)) out << "\n  wrote " << a.csv << "\n";
  }
  if (!format.empty()) {
    write_output(a.out, format == "csv" ? amdahl_csv(r) : amdahl_table(r), standard_out);
    if (!is_stdout_path(a.out)) out << "  wrote " << a.out << "\n";
  }
  return kExitOk;
}

struct PlanArgs {
  PlanOptions o;
  CatalogChoice catalog;  // --hardware, --model, ...: plan from a scenario composed from it
  std::string file, rate, slo, out, format;
  std::vector<std::string> costs;
  bool quiet = false;
};

int cmd_plan(PlanArgs a, std::ostream& out, std::ostream& err) {
  a.o.scenario = a.file;
  std::string source = a.file.empty() ? "the built-in default scenario" : a.file;
  if (!a.catalog.hardware.empty()) {
    if (!a.file.empty())
      throw UsageError("plan: give a scenario FILE or --hardware/--model, not both");
    ComposedConfig composed = compose_config(a.catalog, a.o.sets);
    a.o.composed = std::move(composed.root);
    source = composed.source;
  }
  parse_plan_targets(a.rate, a.slo, a.costs, a.o);
  const std::string format =
      a.out.empty() ? ""
                    : output_format("--out", a.out, a.format, {"csv", "json", "html", "txt", "md"});
  if (!a.out.empty()) check_output_paths({{"--out", a.out, true}});
  if (a.o.jobs <= 0) a.o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ProgressBar bar(err, !a.quiet && ProgressBar::stderr_is_terminal());
  a.o.progress = [&bar](std::size_t done, std::size_t total, const std::string& what) {
    bar.update(done, total, what, "configurations");
  };
  const PlanResult r2 = run_plan(a.o);
  bar.finish();
  out << plan_report(a.o, r2);
  if (!a.out.empty()) {
    // The page is `servesim report plan.json`'s, from the same JSON.
    const auto page = [&] { return plan_html(parse_plan_json(plan_json(a.o, r2), a.out), source); };
    write_output(a.out,
                 format == "json"   ? plan_json(a.o, r2)
                 : format == "csv"  ? plan_csv(a.o, r2)
                 : format == "html" ? page()
                                    : plan_report(a.o, r2),
                 out);
    if (!is_stdout_path(a.out)) out << "  wrote " << a.out << "\n";
  }
  return r2.feasible.empty() ? kExitRuntime : kExitOk;
}

/// `report`: a run, a sweep or a plan as an HTML page; a run from a scenario run now or a
/// result JSON.
struct ReportArgs {
  std::string in, out = "report.html";
  std::vector<std::string> sets;
  std::string slo_p99;  // sweeps: the latency budget
  int top = 0;          // sweeps: how many configurations the top table lists; 0: 5
};

/// --slo-p99 in ms, or none when not given; a value that is not a positive duration is a
/// ConfigError at the option.
std::optional<double> slo_p99_ms(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const ParsedQuantity q = parse_quantity(text, Dimension::kDuration);
  if (!q.error.empty()) throw ConfigError({"--slo-p99", 1, 1}, "", q.error);
  if (!(q.value > 0))
    throw ConfigError({"--slo-p99", 1, 1}, "", "the budget must be positive, got '" + text + "'");
  return q.value * 1e3;
}

/// The page for a sweep's or a plan's file (`kind`), from its text.
std::string data_report(const ReportArgs& a, ReportInput kind, const std::string& text) {
  const bool sweep = kind == ReportInput::kSweepCsv || kind == ReportInput::kSweepJsonl;
  if (!sweep && (!a.slo_p99.empty() || a.top != 0))
    throw UsageError("report: --slo-p99 and --top are for a sweep's CSV or JSON lines");
  if (sweep) {
    SweepReportOptions o;
    o.slo_p99_ms = slo_p99_ms(a.slo_p99);
    if (a.top != 0) o.top = static_cast<std::size_t>(a.top);
    return sweep_html(kind == ReportInput::kSweepCsv ? parse_sweep_csv(text, a.in)
                                                     : parse_sweep_jsonl(text, a.in),
                      o, a.in);
  }
  return plan_html(
      kind == ReportInput::kPlanCsv ? parse_plan_csv(text, a.in) : parse_plan_json(text, a.in),
      a.in);
}

int cmd_report(const ReportArgs& a, std::ostream& out) {
  check_output_paths({{"--out", a.out, true}});
  const std::filesystem::path in(a.in);
  std::string text;
  ReportInput kind = ReportInput::kScenario;
  if (!a.in.empty() && in.extension() != ".yaml" && in.extension() != ".yml") {
    text = read_data_file(in);
    kind = report_input_kind(in, text);
  }
  if (kind != ReportInput::kScenario && !a.sets.empty())
    throw UsageError("report: --set is for a scenario, which this file is not");
  std::string html;
  if (kind == ReportInput::kScenario || kind == ReportInput::kRunJson) {
    if (!a.slo_p99.empty() || a.top != 0)
      throw UsageError("report: --slo-p99 and --top are for a sweep's CSV or JSON lines");
    nlohmann::ordered_json result;
    std::string source = a.in.empty() ? "built-in default" : a.in;
    if (kind == ReportInput::kRunJson) {
      result = parse_result(text, a.in);
    } else {
      const LoadedScenario sc = load_scenario(a.in, a.sets);
      source = sc.source;
      const RunSummary s = run_scenario(
          sc.params, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
      result = result_json(sc.params, s);
    }
    html = html_report(result, source);
  } else {
    html = data_report(a, kind, text);
  }
  write_output(a.out, html, out);
  if (!is_stdout_path(a.out)) out << "  wrote " << a.out << "\n";
  return kExitOk;
}

/// `plot`: one column of a results CSV against another.
struct PlotArgs {
  PlotOptions o;
  std::string csv, out;
};

int cmd_plot(PlotArgs a, std::ostream& out) {
  if (!a.out.empty()) output_format("--out", a.out, "", {"png", "svg"});  // gnuplot's terminal
  a.o.csv = a.csv;
  a.o.out = a.out;
  const std::filesystem::path wrote = run_plot(a.o);  // before "wrote": it may throw
  out << "  wrote " << wrote.string() << "\n";
  return kExitOk;
}

/// `validate`: rung 4 of the validation ladder (validate/validate.h).
struct ValidateArgs {
  validate::ValidateOptions o;
  std::string model = "conv3x3";
  std::string ingest = "direct";
  std::string cpu_idle = "os";
};

int cmd_validate(ValidateArgs a, std::ostream& out, std::ostream& err) {
  if (a.model == "conv3x3") {
    a.o.kernel = validate::kConv3x3Kernel;
  } else if (a.model == "vit_tiny") {
    a.o.kernel = validate::kVitTinyKernel;
  } else {  // a whole network in a framework calib bench infer has
    const std::vector<std::string> nets = calib::infer_kernel_names();
    if (std::find(nets.begin(), nets.end(), a.model) == nets.end()) {
      std::string have;
      for (const std::string& n : nets) have += ", " + n;
      throw UsageError("--model: '" + a.model + "' is not a kernel here (conv3x3, vit_tiny" + have +
                       "; the frameworks' plugin: " + calib::infer_plugin_status() + ")");
    }
    if (a.o.broker) throw UsageError("validate: --model is for the in-process pipeline");
    a.o.kernel = a.model;
  }
  a.o.ingest = a.ingest == "http" ? validate::Ingest::kHttp : validate::Ingest::kDirect;
  a.o.shallow_idle = a.cpu_idle == "poll";
  if (ProgressBar::on_terminal(err)) a.o.progress = &err;
  if (a.o.broker && a.o.ingest != validate::Ingest::kDirect)
    throw UsageError("validate: --ingest http is for the in-process pipeline; --broker has none");
  return a.o.broker ? validate::run_validate_broker(a.o, out) : validate::run_validate(a.o, out);
}

/// A verb whose options fill an `Args`, run by `cmd` once parsed: `options` adds them.
template <class Args>
Verb verb(std::string name, std::string help, void (*options)(CLI::App&, Args&),
          int (*cmd)(Args&, std::ostream& out, std::ostream& err)) {
  return {std::move(name), std::move(help),
          [options, cmd](CLI::App& c) -> VerbAction {
            auto args = std::make_shared<Args>();
            options(c, *args);
            return
                [args, cmd](std::ostream& out, std::ostream& err) { return cmd(*args, out, err); };
          },
          nullptr};
}

/// The options that choose from the catalog (--hardware, --model, --images, --preprocess), for
/// a verb whose scenario FILE they replace.
void catalog_options(CLI::App& cmd, CatalogChoice& c) {
  CLI::Option* hardware =
      cmd.add_option("--hardware", c.hardware,
                     "Compose the scenario from the catalog: this node (servesim list hardware)");
  CLI::Option* model =
      cmd.add_option("--model", c.model, "... serving this model (servesim list models)");
  hardware->needs(model);
  model->needs(hardware);
  cmd.add_option("--images", c.images, "... on these images: small, medium (default), large")
      ->needs(hardware);
  cmd.add_option("--preprocess", c.preprocess,
                 "... decoding and resizing on the gpu (default, DALI) or the cpu")
      ->needs(hardware);
}

void run_options(CLI::App& run, RunOptions& ro) {
  run.add_option(
      "file", ro.file,
      "Scenario YAML (default: configs/scenarios/paper-vit-base-gpu.yaml, the paper's node)");
  run.add_option("--set", ro.sets,
                 "Override a key: --set path.to.key=value (YAML value; repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  run.add_option("--json", ro.json_path, "Write the results as JSON to this path (-: stdout)")
      ->check(kOutputPath);
  run.add_option("--trace", ro.trace_path,
                 "Write a Chrome/Perfetto trace of replication 0 from the end of warm-up (-: "
                 "stdout)")
      ->check(kOutputPath);
  CLI::Option* trace_opt = run.get_option("--trace");
  run.add_option("--trace-window", ro.trace_window,
                 "Simulated time the trace covers (default 100ms; 1ns at least)")
      ->needs(trace_opt);
  run.add_option("--csv", ro.csv_path,
                 "Write the results as CSV in perf_analyzer's columns (microseconds; -: stdout)")
      ->check(kOutputPath);
  run.add_flag("--verbose-csv", ro.verbose_csv,
               "The CSV (--csv, or --out FILE.csv) in perf_analyzer's --verbose-csv layout (Avg "
               "latency, request/response, response wait and the GPU metrics after the "
               "percentiles)");
  CLI::Option* out_opt =
      run.add_option("--out", ro.out_path,
                     "Write the results to FILE, in the format of its extension: .json (as "
                     "--json), .csv (as --csv), .txt or .md (the summary); -: stdout")
          ->check(kOutputPath);
  run.add_option("--format", ro.format, "The format of --out: json, csv, txt or md")
      ->needs(out_opt);
  run.add_option("-j,--jobs", ro.jobs,
                 "Threads for replications (default: all cores; results do not depend on it)")
      ->check(CLI::NonNegativeNumber);
  run.add_option("--uncertainty", ro.uncertainty,
                 "Draw every banded curve's factor in its band N times, run each draw, and "
                 "report p5/p50/p95 over the draws (default 0: none)")
      ->check(CLI::Range(0, 100000));
  run.add_flag("-q,--quiet", ro.quiet, "Print nothing but errors");
  catalog_options(run, ro.catalog);
}

struct ListArgs {
  std::string kind;
};

void list_options(CLI::App& list, ListArgs& l) {
  list.add_option("part", l.kind, "hardware, hosts, models, curves or scenarios")->required();
}

void sweep_options(CLI::App& sweep, SweepArgs& sw) {
  sweep.add_option("file", sw.file, "Scenario YAML (default: the built-in default scenario)");
  sweep
      .add_option("--grid", sw.grids,
                  "A swept key: key=v1,v2,... or key=start:stop:step (repeatable; the first "
                  "varies slowest)")
      ->allow_extra_args(false);
  sweep.add_option("--grid-file", sw.grid_file,
                   "YAML with grid: {key: [values] | {start, stop, step}}");
  sweep.add_option("--set", sw.sets, "Override a key for every point (repeatable)")
      ->allow_extra_args(false);
  sweep.add_option("--out", sw.out, "Results CSV (JSON lines are written beside it, .jsonl)")
      ->required();
  sweep.add_option("-j,--jobs", sw.jobs, "Points simulated at once (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  sweep
      .add_option("--uncertainty", sw.uncertainty,
                  "At every point, also run N draws of the banded curves' factors and add "
                  "p5/p50/p95 over them (default 0: none)")
      ->check(CLI::Range(0, 100000));
  sweep.add_flag("--verbose-csv", sw.verbose_csv,
                 "The CSV in perf_analyzer's --verbose-csv layout (as run --verbose-csv)");
  sweep.add_flag("--resume", sw.resume, "Complete an interrupted sweep into the same --out");
  sweep.add_flag("-q,--quiet", sw.quiet, "No progress bar");
  catalog_options(sweep, sw.catalog);
}

int cmd_sweep_on_rank(SweepArgs& sw, std::ostream& out, std::ostream& err) {
  return mpi_launch().rank > 0 ? cmd_sweep_unheard(sw) : cmd_sweep(sw, out, err);
}

void amdahl_options(CLI::App& amdahl, AmdahlArgs& am) {
  amdahl.add_option("file", am.file, "Scenario YAML (default: the built-in default scenario)");
  amdahl.add_option("--stage", am.stage, "The stage to speed up (its name)")->required();
  // Checked by run_amdahl (finite, > 0), which names --speedups.
  amdahl.add_option("--speedups", am.speedups, "Speedups s, comma-separated (default 1,2,4,8,16)")
      ->delimiter(',');
  amdahl.add_option("--set", am.sets, "Override a key (repeatable)")->allow_extra_args(false);
  amdahl.add_option("--csv", am.csv, "Also write the table as CSV (-: stdout)")->check(kOutputPath);
  CLI::Option* out =
      amdahl
          .add_option("--out", am.out,
                      "Also write the table to FILE: .csv, or .txt/.md as printed (-: stdout)")
          ->check(kOutputPath);
  amdahl.add_option("--format", am.format, "The format of --out: csv, txt or md")->needs(out);
  amdahl.add_option("-j,--jobs", am.jobs, "Threads for replications (default: all cores)")
      ->check(CLI::NonNegativeNumber);
}

struct CompareArgs {
  std::string a, b, tolerance;
  bool pair_by_order = false;
};

void compare_options(CLI::App& compare, CompareArgs& c) {
  compare.add_option("a", c.a, "A: e.g. servesim run --json out.json (the prediction)")->required();
  compare.add_option("b", c.b, "B: e.g. perf_analyzer -f measured.csv (the measurement)")
      ->required();
  compare.add_option("--tolerance", c.tolerance,
                     "METRIC=PERCENT,... (thr, avg, p50, p90, p95, p99, queue, input, infer, "
                     "output): exit 3 when B is further from A than that");
  compare.add_flag("--pair-by-order", c.pair_by_order,
                   "Pair row i of A with row i of B whatever their loads");
}

int cmd_compare(CompareArgs& c, std::ostream& out, std::ostream&) {
  CompareOptions o;
  o.pair_by_order = c.pair_by_order;
  if (!c.tolerance.empty()) o.tolerances = parse_tolerances(c.tolerance);
  const Comparison r = compare(read_measurements(c.a), "A", read_measurements(c.b), "B", o);
  out << r.text << "\n  A: " << c.a << "\n  B: " << c.b << "\n";
  return r.outside.empty() ? kExitOk : kExitOutside;
}

void plan_options(CLI::App& plan, PlanArgs& pl) {
  plan.add_option("file", pl.file, "Scenario YAML (default: the built-in default scenario)");
  plan.add_option("--target-rate", pl.rate,
                  "Requests per second for the whole cluster, e.g. 20000/s")
      ->required();
  plan.add_option("--slo", pl.slo, "Latency objective, e.g. p99=100ms")->required();
  plan.add_option("--cost", pl.costs, "Prices: gpu=X,cpu_core=Y,node=Z (default gpu=1)")
      ->delimiter(',');
  plan.add_option("--gpus", pl.o.gpus, "GPUs per node to try (default 1,2,4,8)")->delimiter(',');
  plan.add_option("--cores", pl.o.cores, "CPU cores per node to try (default: the scenario's)")
      ->delimiter(',');
  plan.add_option("--instances", pl.o.instances, "Instances per GPU of the batched stage (1,2)")
      ->delimiter(',');
  plan.add_option("--batch", pl.o.batch, "max_batch_size values (default: the scenario's)")
      ->delimiter(',');
  plan.add_option("--delay", pl.o.delays, "max_queue_delay values (default: the scenario's)")
      ->delimiter(',');
  plan.add_option("--stage", pl.o.stage, "The batched stage to tune (default: the last one)");
  plan.add_option("--max-nodes", pl.o.max_nodes, "Largest node count considered (1024)");
  plan.add_option("--set", pl.o.sets, "Override a key (repeatable)")->allow_extra_args(false);
  plan.add_option("-j,--jobs", pl.o.jobs, "Threads for replications (default: all cores)");
  CLI::Option* out =
      plan.add_option("--out", pl.out,
                      "Also write the feasible configurations: plan.csv, plan.json or a page, "
                      "plan.html; or the report as printed: plan.txt or plan.md (-: stdout)")
          ->check(kOutputPath);
  plan.add_option("--format", pl.format, "The format of --out: csv, json, html, txt or md")
      ->needs(out);
  plan.add_flag("--fixed-workers", pl.o.fixed_workers,
                "Keep the CPU stages' instances as the scenario has them when --cores changes "
                "(default: scaled with the cores)");
  plan.add_flag("-q,--quiet", pl.quiet, "No progress bar");
  plan.add_option("--uncertainty", pl.o.uncertainty,
                  "Also run N draws of the banded curves' factors per check; plan against the "
                  "draws' p5 capacity and p95 latency (default 0: none)")
      ->check(CLI::Range(0, 100000));
  catalog_options(plan, pl.catalog);
}

void plot_options(CLI::App& plot, PlotArgs& p) {
  plot.add_option("csv", p.csv, "A sweep's or an example's results CSV")->required();
  plot.add_option("--x", p.o.x, "Column for the x axis (e.g. workload.concurrency)")->required();
  plot.add_option("--y", p.o.y, "Column for the y axis (e.g. Inferences/Second)")->required();
  plot.add_option("--by", p.o.by, "One line per value of this column");
  plot.add_option("--out", p.out, "PNG or SVG to write (default: the CSV's name, .png)")
      ->check(kOutputPath);
  plot.add_flag("--logx", p.o.logx, "Logarithmic x axis");
  plot.add_flag("--logy", p.o.logy, "Logarithmic y axis");
  plot.add_option("--script", p.o.script,
                  "Also keep the gnuplot script (its data inside) here, to restyle and re-run")
      ->check(kOutputPath);
}

void report_options(CLI::App& report, ReportArgs& r) {
  report.add_option("input", r.in,
                    "A scenario YAML (run now), a result JSON (servesim run --json), a sweep's "
                    "CSV or JSON lines, or a plan's CSV or JSON (plan --out): told apart by what "
                    "the file holds");
  report.add_option("--out", r.out, "HTML file to write (default report.html; -: stdout)")
      ->check(kOutputPath);
  report.add_option("--set", r.sets, "Override a key (repeatable)")->allow_extra_args(false);
  report.add_option("--slo-p99", r.slo_p99,
                    "A sweep's latency budget (e.g. 100ms): a line on the throughput-p99 curves, "
                    "and the top table's configurations keep within it");
  report
      .add_option("--top", r.top,
                  "A sweep: how many configurations the top table lists (default 5)")
      ->check(CLI::PositiveNumber);
}

void validate_options(CLI::App& cmd, ValidateArgs& v) {
  cmd.add_flag("--quick", v.o.quick, "Six configurations, short runs (about a minute)");
  cmd.add_flag("--broker", v.o.broker,
               "Instead: two stages through a real redis-server at several fan-outs "
               "(needs redis-server on PATH)");
  cmd.add_option("--out", v.o.out,
                 "Directory for curves, scenarios, CSV and gnuplot script "
                 "(default validate-results)");
  cmd.add_option("--model", v.model,
                 "Inference kernel: conv3x3 (default), vit_tiny (calib's Eigen kernels), or a "
                 "whole network of calib bench infer, e.g. resnet50_opencv_dnn (one thread)");
  cmd.add_option("--ingest", v.ingest,
                 "How the clients reach the pipeline: direct (default: in-process, no cost), "
                 "http (each client POSTs its JPEG over loopback HTTP; closed loops only)")
      ->check(CLI::IsMember({"direct", "http"}));
  cmd.add_option("--max-median-error", v.o.max_median_throughput_error,
                 "Exit 1 when the median throughput error exceeds this fraction (default "
                 "0.3, a gross error; 0: report only)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--cpu-idle", v.cpu_idle,
                 "os (default: idle CPUs sleep as the OS chooses) or poll (for the whole run, "
                 "calibration and measurements, idle CPUs poll as a loaded node's do; PM QoS "
                 "via /dev/cpu_dma_latency, root only)")
      ->check(CLI::IsMember({"poll", "os"}));
  cmd.add_option("--busy-status", v.o.busy_status,
                 "Exit with this status (not judging accuracy) when other processes used "
                 "over a quarter of the CPUs (for CTest's SKIP_RETURN_CODE)");
}

/// servesim's verbs, in the order its help lists them.
std::vector<Verb> servesim_verbs() {
  return {
      {"calib",
       "Measure this machine's kernels and fit service-time curves (servesim calib --help)",
       nullptr, calib::calib_verbs()},
      verb<RunOptions>(
          "run", "Simulate a scenario and print a summary", run_options,
          [](RunOptions& o, std::ostream& out, std::ostream& err) { return cmd_run(o, out, err); }),
      verb<ListArgs>(
          "list",
          "The catalog: hardware, hosts, models, curves or scenarios, and where each comes from",
          list_options,
          [](ListArgs& a, std::ostream& out, std::ostream&) {
            out << catalog_list(a.kind);
            return kExitOk;
          }),
      verb<SweepArgs>(
          "sweep",
          "Run a scenario at every point of a grid (in parallel), writing CSV + JSON lines",
          sweep_options, cmd_sweep_on_rank),
      verb<AmdahlArgs>(
          "amdahl", "End-to-end speedup when one stage gets s times faster, beside Amdahl's bound",
          amdahl_options,
          [](AmdahlArgs& a, std::ostream& out, std::ostream& err) {
            return cmd_amdahl(a, out, err);
          }),
      verb<CompareArgs>(
          "compare", "Two results side by side: servesim JSON, or CSV in perf_analyzer's columns",
          compare_options, cmd_compare),
      verb<PlanArgs>(
          "plan",
          "The cheapest configuration and node count meeting a latency SLO at a target rate",
          plan_options,
          [](PlanArgs& a, std::ostream& out, std::ostream& err) { return cmd_plan(a, out, err); }),
      verb<PlotArgs>(
          "plot", "Plot one column of a results CSV against another", plot_options,
          [](PlotArgs& a, std::ostream& out, std::ostream&) { return cmd_plot(a, out); }),
      verb<ReportArgs>(
          "report",
          "A run, a sweep or a plan as a self-contained HTML page (from a scenario, a --json "
          "result, a sweep's CSV or JSON lines, a plan's --out)",
          report_options,
          [](ReportArgs& a, std::ostream& out, std::ostream&) { return cmd_report(a, out); }),
      verb<ValidateArgs>("validate",
                         "Predict a real pipeline on this machine from microbenchmark curves, run "
                         "it, and print predicted vs measured throughput, p50 and p99",
                         validate_options,
                         [](ValidateArgs& a, std::ostream& out, std::ostream& err) {
                           return cmd_validate(a, out, err);
                         }),
  };
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  const VerbTable table{
      "servesim",  // the usage lines: whatever path ran it
      "servesim: a discrete-event simulator of inference-serving nodes for computer-vision DNNs",
      "servesim",
      "servesim run [FILE] ... | servesim sweep ...",
      "servesim 0.1.0",
      servesim_verbs()};
  return run_verbs(table, std::vector<std::string>(argv + std::min(argc, 1), argv + argc), out,
                   err);
}

}  // namespace servesim
