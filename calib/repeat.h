#pragma once
/// How repeatable a bench is: the same kernels fitted on several runs' samples (calib bench,
/// bench broker, or any bench that writes samples.csv), each curve's coefficients compared across
/// the runs (`servesim calib repeat`).

#include <span>
#include <string>
#include <vector>

#include "calib/fit.h"
#include "calib/samples.h"

namespace servesim::calib {

/// One kernel's samples as the fit takes them (seconds to ns). Fewer than kMinFitSamples is a
/// ConfigError at the kernel's first line in `file`.
std::vector<Observation> kernel_observations(std::span<const Sample> samples,
                                             const std::string& kernel, const std::string& file);

/// A fitted number of a curve, named with its unit: "a_ns", "ns_per_pixels", "b_ns", "p",
/// "knee", "slope0_ns", "t_ns_at_16384", ..., and "noise_cv".
struct Coefficient {
  std::string name;
  double value = 0;
};

/// The curve's coefficients in the order of its formula, then its noise cv (when it has noise).
std::vector<Coefficient> curve_coefficients(const Curve& c);

/// One coefficient over the runs that have it.
struct CoefficientSpread {
  std::string name;
  std::size_t runs = 0;
  double mean = 0, min = 0, max = 0;
  double sd = 0;  // sample standard deviation (0 for one run)
  /// (max - min) / |mean|; infinite when the mean is 0 and the values differ, 0 when all are 0.
  double relative_spread() const;
};

/// Each name's statistics over `runs` (a list of coefficients per run), in the order names first
/// appear.
std::vector<CoefficientSpread> coefficient_spread(std::span<const std::vector<Coefficient>> runs);

/// One kernel over the runs.
struct CurveRepeat {
  std::string kernel;
  FormSpec form;                       // fitted on every run: chosen on all runs' samples pooled
  std::vector<std::string> run_forms;  // the form each run alone chooses
  std::vector<CoefficientSpread> coefficients;
};

/// For each kernel: the form chosen on the pooled samples of every run that has the kernel
/// (o.only when set), then that form fitted to each run alone; the spread of the coefficients.
/// `files` name the runs in errors. A kernel in `kernels` that no run has is a UsageError.
std::vector<CurveRepeat> repeat_fits(std::span<const std::vector<Sample>> runs,
                                     std::span<const std::string> files,
                                     const std::vector<std::string>& kernels, const FitOptions& o);

/// The table `calib repeat` prints: per kernel, its form, the forms the runs chose alone, then a
/// row per coefficient (runs, mean, min, max, relative spread).
std::string repeat_table(std::span<const CurveRepeat> curves);

/// kernel,form,coefficient,runs,mean,min,max,sd,relative_spread
std::string repeat_csv(std::span<const CurveRepeat> curves);

}  // namespace servesim::calib
