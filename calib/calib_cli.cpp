#include "calib/calib_cli.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "calib/bench.h"
#include "calib/curve_writer.h"
#include "calib/fit.h"
#include "calib/importers.h"
#include "calib/machine.h"
#include "calib/samples.h"
#include "sim/config/curves.h"
#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"

namespace servesim::calib {

namespace {

namespace fs = std::filesystem;

// As sim/app/cli.h (which calib cannot include: app sits above it).
constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

/// A usage mistake found after parsing (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

struct FitArgs {
  std::string samples, out, machine, form;
  std::vector<std::string> kernels;
};

int cmd_fit(const FitArgs& a, std::ostream& out) {
  const std::vector<Sample> samples = read_samples(a.samples);
  const std::vector<std::string> present = kernel_names(samples);
  std::vector<std::string> kernels = a.kernels.empty() ? present : a.kernels;
  for (const auto& k : kernels) {
    bool found = false;
    for (const auto& p : present) found = found || p == k;
    if (!found) {
      const std::string hint = did_you_mean(k, present);
      std::string all;
      for (const auto& p : present) all += (all.empty() ? "" : ", ") + p;
      throw UsageError("--kernel: '" + k + "' has no samples in " + a.samples +
                       (hint.empty() ? " (kernels: " + all + ")" : "; " + hint));
    }
  }
  std::optional<MachineInfo> machine;
  const fs::path machine_path =
      a.machine.empty() ? fs::path(a.samples).parent_path() / "machine.yaml" : fs::path(a.machine);
  if (!a.machine.empty() || fs::exists(machine_path)) machine = read_machine(machine_path);
  FitOptions opt;
  if (!a.form.empty()) opt.only = parse_form(a.form);

  std::vector<NamedCurve> curves;
  for (const auto& k : kernels) {
    std::vector<Observation> obs;
    for (const Sample& s : samples)
      if (s.kernel == k) obs.push_back({{s.batch, s.pixels, s.bytes}, s.seconds * 1e9});
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
    nc.comments.push_back(k + ": " + std::to_string(obs.size()) + " samples; forms tried:");
    for (auto& l : candidate_lines(r)) nc.comments.push_back(l);
    out << k << ": " << obs.size() << " samples\n";
    for (auto& l : candidate_lines(r)) out << l << "\n";
    out << "  chosen " << r.candidates[r.chosen].spec.label() << ": t = " << curve_formula(r.curve)
        << "\n  r2 " << shortest(std::round(r.r2 * 1e4) / 1e4) << ", rmse "
        << duration_text(rounded(r.curve).fit.rmse_ns.value_or(0)) << ", holdout error "
        << percent(r.holdout_error) << ", noise cv " << shortest(std::round(r.noise_cv * 1e4) / 1e4)
        << "\n\n";
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

int cmd_show(const std::string& file, std::ostream& out) {
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
  return kExitOk;
}

struct ImportArgs {
  std::string file, out, input_bytes, output_bytes;
  TrtexecImport how;
  bool append = false;
};

double bytes_arg(const std::string& text, const char* option) {
  if (text.empty()) return 0;
  if (const auto v = parse_number(text); v && *v >= 0) return *v;
  const ParsedQuantity q = parse_quantity(text, Dimension::kBytes);
  if (!q.error.empty()) throw UsageError(std::string(option) + ": " + q.error);
  return q.value;
}

int cmd_import_trtexec(ImportArgs a, std::ostream& out) {
  a.how.input_bytes = bytes_arg(a.input_bytes, "--input-bytes");
  a.how.output_bytes = bytes_arg(a.output_bytes, "--output-bytes");
  std::vector<Sample> samples;
  if (a.append && fs::exists(a.out)) samples = read_samples(a.out);
  const std::size_t before = samples.size();
  for (Sample& s : import_trtexec(a.file, a.how)) samples.push_back(std::move(s));
  write_file(a.out, samples_csv(samples));
  out << "imported " << samples.size() - before << " samples (" << a.how.name << "_infer"
      << (a.how.input_bytes > 0 ? ", " + a.how.name + "_h2d" : "")
      << (a.how.output_bytes > 0 ? ", " + a.how.name + "_d2h" : "") << ", batch " << a.how.batch
      << ") from " << a.file << " into " << a.out << "\n";
  return kExitOk;
}

struct BenchArgs {
  std::string out;
  bool quick = false;
  int repeats = 0, warmup = -1;
};

int cmd_bench(const BenchArgs& a, std::ostream& out, std::ostream& err) {
  BenchPlan plan = bench_plan(a.quick);
  if (a.repeats > 0) plan.repeats = a.repeats;
  if (a.warmup >= 0) plan.warmup = a.warmup;
  fs::create_directories(a.out);
  BenchRun run = run_bench(plan, err);
  run.machine.command = std::string("servesim calib bench") + (a.quick ? " --quick" : "");
  const fs::path dir(a.out);
  write_file(dir / "samples.csv", samples_csv(run.samples));
  write_file(dir / "machine.yaml", machine_yaml(run.machine));
  write_file(dir / "summary.csv", bench_summary_csv(run.samples));
  out << bench_summary_table(run.samples);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", run.machine.seconds);
  out << "\n"
      << run.samples.size() << " samples in " << buf << " s; wrote "
      << (dir / "samples.csv").string() << ", machine.yaml and summary.csv (medians)\n"
      << "next: servesim calib fit " << (dir / "samples.csv").string() << " --out curves.yaml\n";
  return kExitOk;
}

}  // namespace

int calib_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"servesim calib: measure this machine's kernels and fit service-time curves",
               "servesim calib"};
  app.require_subcommand(0, 1);

  BenchArgs ba;
  CLI::App* bench = app.add_subcommand(
      "bench", "Time JPEG decode, resize, normalise and memcpy on this machine (one core)");
  bench->add_flag("--quick", ba.quick, "Fewer sizes and repeats: well under 2 minutes");
  bench->add_option("--out", ba.out, "Directory for samples.csv, machine.yaml, summary.csv")
      ->required();
  bench->add_option("--repeats", ba.repeats, "Timed calls per item (default 5 quick, 15 full)")
      ->check(CLI::PositiveNumber);
  bench->add_option("--warmup", ba.warmup, "Untimed passes first (default 1 quick, 2 full)")
      ->check(CLI::NonNegativeNumber);

  FitArgs fa;
  CLI::App* fit = app.add_subcommand("fit", "Fit a curve per kernel of a samples CSV");
  fit->add_option("samples", fa.samples, "Samples CSV (kernel,batch,pixels,bytes,seconds,...)")
      ->required();
  fit->add_option("--out", fa.out, "Curves YAML to write")->required();
  fit->add_option("--kernel", fa.kernels, "Fit only this kernel (repeatable; default: all)")
      ->allow_extra_args(false);
  fit->add_option("--form", fa.form,
                  "Fit only this form, e.g. affine[pixels,bytes] (default: choose by "
                  "cross-validation)");
  fit->add_option("--machine", fa.machine,
                  "machine.yaml naming where the samples were measured (default: the one beside "
                  "the samples)");

  ImportArgs ia;
  CLI::App* import =
      app.add_subcommand("import", "Turn another tool's measurements into samples for calib fit");
  import->require_subcommand(1);
  CLI::App* trtexec = import->add_subcommand(
      "trtexec", "trtexec --exportTimes JSON: NAME_infer (and NAME_h2d, NAME_d2h) samples");
  trtexec->add_option("file", ia.file, "The JSON that trtexec --exportTimes=FILE wrote")
      ->required();
  trtexec->add_option("--name", ia.how.name, "Curve name prefix, e.g. vit_base_trt")->required();
  trtexec->add_option("--batch", ia.how.batch, "The batch of the engine's input shape")
      ->required()
      ->check(CLI::PositiveNumber);
  trtexec->add_option("--input-bytes", ia.input_bytes,
                      "Bytes of one batch's input (e.g. 602112 or 588KiB): adds NAME_h2d");
  trtexec->add_option("--output-bytes", ia.output_bytes,
                      "Bytes of one batch's output: adds NAME_d2h");
  trtexec->add_option("--out", ia.out, "Samples CSV to write")->required();
  trtexec->add_flag("--append", ia.append,
                    "Add to --out if it exists (one import per batch size, then one fit)");

  std::string show_file;
  CLI::App* show = app.add_subcommand("show", "Print the curves of a curves YAML as a table");
  show->add_option("curves", show_file, "Curves YAML")->required();

  try {
    std::vector<std::string> rev(args.rbegin(), args.rend());  // CLI11 takes them reversed
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "servesim calib: " << e.what() << "\nRun 'servesim calib --help' for usage.\n";
    return kExitUsage;
  }

  try {
    if (bench->parsed()) return cmd_bench(ba, out, err);
    if (fit->parsed()) return cmd_fit(fa, out);
    if (show->parsed()) return cmd_show(show_file, out);
    if (trtexec->parsed()) return cmd_import_trtexec(ia, out);
    err << "servesim calib: a verb is required: bench, fit, show or import\n"
        << "Run 'servesim calib --help' for usage.\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    err << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    err << "servesim calib: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    err << "servesim calib: error: " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace servesim::calib
