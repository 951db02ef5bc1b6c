#include "calib/repeat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>

#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

std::vector<Observation> kernel_observations(std::span<const Sample> samples,
                                             const std::string& kernel, const std::string& file) {
  std::vector<Observation> obs;
  int first_line = 0;
  for (const Sample& s : samples)
    if (s.kernel == kernel) {
      obs.push_back({{s.batch, s.pixels, s.bytes}, s.seconds * 1e9});
      if (first_line == 0) first_line = s.line;
    }
  // Too few samples is the file's shortfall, not a failure of the fit: named at the kernel.
  if (obs.size() < kMinFitSamples)
    throw ConfigError(SourceMark{file, first_line, 1}, "kernel",
                      "'" + kernel + "' has " + std::to_string(obs.size()) +
                          " sample; a fit needs at least " + std::to_string(kMinFitSamples) +
                          " (time it more often, or fit the other kernels with --kernel)");
  return obs;
}

std::vector<Coefficient> curve_coefficients(const Curve& c) {
  std::vector<Coefficient> out;
  const auto input = [](CurveInput x) { return std::string(curve_input_name(x)); };
  switch (c.form()) {
    case CurveForm::kConstant:
      out.push_back({"a_ns", c.a_ns()});
      break;
    case CurveForm::kAffine:
      out.push_back({"a_ns", c.a_ns()});
      for (const CurveInput x : c.inputs()) out.push_back({"ns_per_" + input(x), c.slope_ns(x)});
      break;
    case CurveForm::kPower:
      out.push_back({"a_ns", c.a_ns()});
      out.push_back({"b_ns", c.b_ns()});
      out.push_back({"p", c.exponent()});
      break;
    case CurveForm::kPiecewise:
      out.push_back({"a_ns", c.a_ns()});
      for (std::size_t i = 0; i < c.slopes_ns().size(); ++i)
        out.push_back({"slope" + std::to_string(i) + "_ns", c.slopes_ns()[i]});
      for (std::size_t i = 0; i < c.knees().size(); ++i)
        out.push_back({"knee" + (c.knees().size() > 1 ? std::to_string(i) : ""), c.knees()[i]});
      break;
    case CurveForm::kTable:
      for (std::size_t i = 0; i < c.table_xs().size(); ++i)
        out.push_back({"t_ns_at_" + shortest(c.table_xs()[i]), c.table_ts_ns()[i]});
      break;
  }
  if (c.noise()) out.push_back({"noise_cv", c.noise()->cv()});
  return out;
}

double CoefficientSpread::relative_spread() const {
  if (max == min) return 0;
  if (mean == 0) return std::numeric_limits<double>::infinity();
  return (max - min) / std::abs(mean);
}

std::vector<CoefficientSpread> coefficient_spread(std::span<const std::vector<Coefficient>> runs) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> values;
  for (const auto& run : runs)
    for (const Coefficient& c : run) {
      auto [it, added] = values.try_emplace(c.name);
      if (added) order.push_back(c.name);
      it->second.push_back(c.value);
    }
  std::vector<CoefficientSpread> out;
  for (const std::string& name : order) {
    const std::vector<double>& v = values[name];
    CoefficientSpread s;
    s.name = name;
    s.runs = v.size();
    double sum = 0;
    for (const double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    double ss = 0;
    for (const double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0;
    out.push_back(s);
  }
  return out;
}

std::vector<CurveRepeat> repeat_fits(std::span<const std::vector<Sample>> runs,
                                     std::span<const std::string> files,
                                     const std::vector<std::string>& kernels, const FitOptions& o) {
  if (runs.size() != files.size()) throw std::invalid_argument("repeat_fits: a file per run");
  std::vector<CurveRepeat> out;
  for (const std::string& k : kernels) {
    std::vector<std::vector<Observation>> per_run;
    std::vector<Observation> pooled;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (std::none_of(runs[r].begin(), runs[r].end(), [&](auto& s) { return s.kernel == k; }))
        continue;  // this run did not time the kernel
      per_run.push_back(kernel_observations(runs[r], k, files[r]));
      pooled.insert(pooled.end(), per_run.back().begin(), per_run.back().end());
    }
    CurveRepeat rep;
    rep.kernel = k;
    try {
      const FitReport all = fit_curve(pooled, o);
      rep.form = all.candidates[all.chosen].spec;
      FitOptions fixed = o;
      fixed.only = rep.form;
      std::vector<std::vector<Coefficient>> coefs;
      for (const auto& obs : per_run) {
        const FitReport alone = fit_curve(obs, o);
        rep.run_forms.push_back(alone.candidates[alone.chosen].spec.label());
        coefs.push_back(curve_coefficients(fit_curve(obs, fixed).curve));
      }
      rep.coefficients = coefficient_spread(coefs);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("kernel '" + k + "': " + e.what());
    }
    out.push_back(std::move(rep));
  }
  return out;
}

namespace {

std::string spread_text(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

}  // namespace

std::string repeat_table(std::span<const CurveRepeat> curves) {
  std::string s;
  char buf[240];
  for (const CurveRepeat& c : curves) {
    std::map<std::string, int> forms;
    for (const auto& f : c.run_forms) forms[f]++;
    std::string alone;
    for (const auto& [f, n] : forms)
      alone += (alone.empty() ? "" : ", ") + f + " x" + std::to_string(n);
    s += c.kernel + ": " + c.form.label() + " on every run (runs alone chose " + alone + ")\n";
    std::snprintf(buf, sizeof buf, "  %-22s %4s %13s %13s %13s %9s\n", "coefficient", "runs",
                  "mean", "min", "max", "spread");
    s += buf;
    for (const CoefficientSpread& k : c.coefficients) {
      std::snprintf(buf, sizeof buf, "  %-22s %4zu %13.5g %13.5g %13.5g %9s\n", k.name.c_str(),
                    k.runs, k.mean, k.min, k.max, spread_text(k.relative_spread()).c_str());
      s += buf;
    }
    s += "\n";
  }
  return s +
         "spread = (max - min) / |mean| over the runs; a coefficient that moves by more than "
         "the others is what the bench does not pin down on this machine.\n";
}

std::string repeat_csv(std::span<const CurveRepeat> curves) {
  std::string s = "kernel,form,coefficient,runs,mean,min,max,sd,relative_spread\n";
  for (const CurveRepeat& c : curves)
    for (const CoefficientSpread& k : c.coefficients) {
      // Six digits: a coefficient's further digits are the fit's noise, not the run's.
      char buf[160];
      std::snprintf(buf, sizeof buf, ",%zu,%.6g,%.6g,%.6g,%.6g,", k.runs, k.mean, k.min, k.max,
                    k.sd);
      const double rel = k.relative_spread();
      s += csv_cell(c.kernel) + "," + csv_cell(c.form.label()) + "," + csv_cell(k.name) + buf;
      if (std::isfinite(rel)) std::snprintf(buf, sizeof buf, "%.4g", rel);
      s += (std::isfinite(rel) ? std::string(buf) : std::string()) + "\n";
    }
  return s;
}

}  // namespace servesim::calib
