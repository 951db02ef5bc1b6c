#pragma once
/// Fitting a service-time curve to timed samples: every candidate form by least squares on
/// relative error, the form chosen by k-fold cross-validation with AICc as the tie-break.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/curves/curve.h"

namespace servesim::calib {

/// The fewest observations any form is fitted to.
inline constexpr std::size_t kMinFitSamples = 2;

/// One measurement: where the kernel ran and how long it took (ns).
struct Observation {
  CurveArgs x;
  double t_ns = 0;
};

/// A form and the inputs it uses (empty for constant; one for power, piecewise, table).
struct FormSpec {
  CurveForm form = CurveForm::kConstant;
  std::vector<CurveInput> inputs;
  /// "constant", "affine[pixels,bytes]", "power[pixels]", ...
  std::string label() const;
  bool operator==(const FormSpec&) const = default;
};

/// One form fitted to all the observations, with how well it predicts held-out ones.
struct FormFit {
  FormSpec spec;
  Curve curve;            // fitted on every observation (no noise, no fit stats)
  int params = 0;         // fitted parameters, a knee or an exponent included
  double rss = 0;         // sum of squared relative residuals (t - fit) / fit
  double cv_error = 0;    // k-fold RMS relative error (prediction - t) / t on held-out points
  double aicc = 0;        // from rss, params + 1 (the residual variance) and n
  bool eligible = false;  // every fold could be fitted (AICc may be undefined: too few samples)
};

struct FitOptions {
  int folds = 5;
  /// Forms whose CV error is within this much (absolute, 0.01 = one percentage point) of the
  /// best are tied; AICc decides among them (see aicc_margin).
  double tie_cv_error = 0.01;
  /// Among tied forms, AICc lower by less than this is no evidence: the fewer parameters win.
  double aicc_margin = 2.0;
  /// A table is a candidate only with at most this many distinct x values.
  std::size_t max_table_points = 64;
  /// Fit only this form (still cross-validated and reported).
  std::optional<FormSpec> only;
  /// Samples slower than the fit by more than this many robust standard deviations of the log
  /// residuals are interference (another process took the core), dropped, and the fit redone;
  /// 0 keeps every sample. See slow_outliers.
  double outlier_sigmas = 5.0;
};

/// The chosen curve, its statistics, and every candidate that was tried.
struct FitReport {
  std::vector<FormFit> candidates;  // in the order of candidate_forms
  std::size_t chosen = 0;           // index into candidates
  Curve curve;    // the chosen fit, with lognormal noise and `fit` set (source left empty)
  double r2 = 0;  // 1 - SS_res / SS_tot on the times themselves (0 when they are all equal)
  double rmse_ns = 0;
  double holdout_error = 0;  // the chosen form's CV error
  double noise_cv = 0;       // lognormal cv of t / fit
  std::size_t samples = 0;   // fitted (outliers excluded)
  std::size_t outliers = 0;  // samples dropped as interference
};

/// The forms worth trying on these observations: constant; affine in every non-empty subset of
/// the inputs that vary; power in each varying input; piecewise (one knee) in batch when batch
/// takes at least three values; a table when one input alone varies, with few enough distinct
/// values.
std::vector<FormSpec> candidate_forms(std::span<const Observation> obs, const FitOptions& o = {});

/// Fits one form to `obs` by least squares on relative error with every coefficient >= 0; for a
/// power law the exponent, for piecewise the knee (over the observed batch values), are searched.
/// nullopt when the form cannot be fitted (too few points or distinct values). `params` receives
/// the number of fitted parameters.
std::optional<Curve> fit_form(const FormSpec& spec, std::span<const Observation> obs,
                              int* params = nullptr);

/// Which samples are slower than `c` by more than `sigmas` robust standard deviations: with
/// r = ln(t / fit), those with r - median(r) > sigmas * 1.4826 * MAD(r). One-sided, because
/// interference on a shared machine (another process taking the core, a page fault storm) only
/// ever adds time; at 5 sigmas a sample of the kernel's own lognormal noise is flagged with
/// probability 3e-7.
std::vector<bool> slow_outliers(std::span<const Observation> obs, const Curve& c, double sigmas);

/// Fits every candidate (or o.only), cross-validates, and chooses: among the forms within
/// o.tie_cv_error of the best CV error, the fewest parameters among those within o.aicc_margin
/// of the lowest AICc (then the lowest AICc). Then drops slow_outliers of the chosen fit (unless
/// o.outlier_sigmas is 0) and, if there were any, does it all again without them. Throws
/// std::invalid_argument when there are too few observations or no form can be fitted.
FitReport fit_curve(std::span<const Observation> obs, const FitOptions& o = {});

/// Sample mean-1 noise cv of t / fit, lognormal: sqrt(exp(s^2) - 1), s^2 the variance of
/// log(t / fit) with `params` degrees of freedom taken off.
double lognormal_cv(std::span<const Observation> obs, const Curve& c, int params);

}  // namespace servesim::calib
