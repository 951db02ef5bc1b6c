#include "calib/fit.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace servesim::calib {

namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Reweighting passes after the first (weights 1/t^2): weights 1/fit^2 from then on, because
/// weighting by the noisy t itself favours the low draws and biases the mean down by ~2 cv^2
/// (for lognormal noise, E[1/t] / E[1/t^2] = mean * exp(-2 s^2)). Three passes move the
/// coefficients by far less than their standard errors after the last.
constexpr int kReweightPasses = 3;

double arg(const Observation& o, CurveInput x) { return curve_arg(o.x, x); }

std::vector<double> distinct_values(std::span<const Observation> obs, CurveInput x) {
  std::vector<double> v;
  v.reserve(obs.size());
  for (const auto& o : obs) v.push_back(arg(o, x));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Least squares with weights `w` and every coefficient >= 0, exactly: the optimum is the
/// unconstrained solution on some subset of the columns that comes out feasible (KKT), so with
/// the few columns a curve has (<= 4) every subset is tried. Columns are scaled to unit norm
/// first: pixels (1e7) beside an intercept (1) would otherwise lose digits.
struct Ls {
  VectorXd beta;
  bool ok = false;
};

Ls nonneg_ls(const MatrixXd& X, const VectorXd& t, const VectorXd& w) {
  const Index m = X.cols();
  const VectorXd sw = w.array().sqrt();
  MatrixXd A = X.array().colwise() * sw.array();
  const VectorXd b = t.array() * sw.array();
  VectorXd scale(m);
  for (Index j = 0; j < m; ++j) {
    const double s = A.col(j).norm();
    scale[j] = s > 0 ? s : 1.0;
    A.col(j) /= scale[j];
  }
  Ls best;
  double best_rss = kInf;
  const unsigned subsets = 1u << static_cast<unsigned>(m);
  for (unsigned mask = 1; mask < subsets; ++mask) {
    std::vector<Index> cols;
    for (Index j = 0; j < m; ++j)
      if (mask & (1u << static_cast<unsigned>(j))) cols.push_back(j);
    MatrixXd S(A.rows(), static_cast<Index>(cols.size()));
    for (std::size_t k = 0; k < cols.size(); ++k) S.col(static_cast<Index>(k)) = A.col(cols[k]);
    const VectorXd z = S.colPivHouseholderQr().solve(b);
    if (!z.allFinite() || (z.array() < 0).any()) continue;
    const double rss = (S * z - b).squaredNorm();
    if (rss < best_rss) {
      best_rss = rss;
      best.beta = VectorXd::Zero(m);
      for (std::size_t k = 0; k < cols.size(); ++k)
        best.beta[cols[k]] = z[static_cast<Index>(k)] / scale[cols[k]];
      best.ok = true;
    }
  }
  return best;
}

/// Relative-error least squares of t ~ X beta, beta >= 0: weights 1/t^2, then 1/fit^2.
/// `rss` receives sum ((t - fit) / fit)^2.
Ls relative_ls(const MatrixXd& X, const VectorXd& t, double* rss) {
  VectorXd w = t.array().square().inverse();
  Ls r;
  for (int pass = 0; pass <= kReweightPasses; ++pass) {
    r = nonneg_ls(X, t, w);
    if (!r.ok) return r;
    const VectorXd f = X * r.beta;
    // A fit of 0 (every coefficient clamped) keeps the measured time as its weight.
    for (Index i = 0; i < f.size(); ++i)
      w[i] = f[i] > 0 ? 1.0 / (f[i] * f[i]) : 1.0 / (t[i] * t[i]);
  }
  if (rss) *rss = ((t - X * r.beta).array().square() * w.array()).sum();
  return r;
}

VectorXd times(std::span<const Observation> obs) {
  VectorXd t(static_cast<Index>(obs.size()));
  for (std::size_t i = 0; i < obs.size(); ++i) t[static_cast<Index>(i)] = obs[i].t_ns;
  return t;
}

/// Columns [1, g(x_1), g(x_2), ...] for the observations.
template <class G>
MatrixXd design(std::span<const Observation> obs, Index cols, G&& g) {
  MatrixXd X(static_cast<Index>(obs.size()), cols);
  for (std::size_t i = 0; i < obs.size(); ++i) {
    X(static_cast<Index>(i), 0) = 1.0;
    g(obs[i], X.row(static_cast<Index>(i)));
  }
  return X;
}

bool full_rank(const MatrixXd& X) {
  MatrixXd A = X;
  for (Index j = 0; j < A.cols(); ++j) {
    const double s = A.col(j).norm();
    if (s == 0) return false;
    A.col(j) /= s;
  }
  Eigen::ColPivHouseholderQR<MatrixXd> qr(A);
  qr.setThreshold(1e-10);
  return qr.rank() == A.cols();
}

std::optional<Curve> fit_affine(const FormSpec& s, std::span<const Observation> obs, int* params) {
  const Index m = static_cast<Index>(s.inputs.size());
  if (obs.size() < static_cast<std::size_t>(m) + 1) return std::nullopt;
  const MatrixXd X = design(obs, m + 1, [&](const Observation& o, auto row) {
    for (Index j = 0; j < m; ++j) row[j + 1] = arg(o, s.inputs[static_cast<std::size_t>(j)]);
  });
  if (!full_rank(X)) return std::nullopt;
  const Ls r = relative_ls(X, times(obs), nullptr);
  if (!r.ok) return std::nullopt;
  if (params) *params = static_cast<int>(m) + 1;
  if (m == 0) return Curve::constant(r.beta[0]);
  std::vector<std::pair<CurveInput, double>> slopes;
  for (Index j = 0; j < m; ++j)
    slopes.emplace_back(s.inputs[static_cast<std::size_t>(j)], r.beta[j + 1]);
  return Curve::affine(r.beta[0], slopes);
}

std::optional<Curve> fit_power(CurveInput x, std::span<const Observation> obs, int* params) {
  const std::vector<double> xs = distinct_values(obs, x);
  if (xs.size() < 3 || obs.size() < 4) return std::nullopt;
  const VectorXd t = times(obs);
  // For a fixed exponent the form is linear in (a, b): profile the residual over p.
  auto at = [&](double p, Ls* out) {
    const MatrixXd X =
        design(obs, 2, [&](const Observation& o, auto row) { row[1] = std::pow(arg(o, x), p); });
    double rss = kInf;
    const Ls r = relative_ls(X, t, &rss);
    if (out) *out = r;
    return r.ok ? rss : kInf;  // NOLINT(bugprone-narrowing-conversions): false positive on inf
  };
  // A log-spaced grid over 0.05..5 finds the basin; golden-section search refines it.
  constexpr int kGrid = 60;
  constexpr double kLo = 0.05, kHi = 5.0;
  std::vector<double> ps(kGrid), rs(kGrid);
  for (int i = 0; i < kGrid; ++i) {
    ps[static_cast<std::size_t>(i)] = kLo * std::pow(kHi / kLo, i / (kGrid - 1.0));
    rs[static_cast<std::size_t>(i)] = at(ps[static_cast<std::size_t>(i)], nullptr);
  }
  const auto best = static_cast<std::size_t>(std::min_element(rs.begin(), rs.end()) - rs.begin());
  if (!std::isfinite(rs[best])) return std::nullopt;
  double lo = ps[best == 0 ? 0 : best - 1], hi = ps[std::min<std::size_t>(best + 1, kGrid - 1)];
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = hi - g * (hi - lo), d = lo + g * (hi - lo);
  double fc = at(c, nullptr), fd = at(d, nullptr);
  for (int it = 0; it < 60 && hi - lo > 1e-9 * hi; ++it) {
    if (fc < fd) {
      hi = d, d = c, fd = fc;
      c = hi - g * (hi - lo);
      fc = at(c, nullptr);
    } else {
      lo = c, c = d, fc = fd;
      d = lo + g * (hi - lo);
      fd = at(d, nullptr);
    }
  }
  double p = (lo + hi) / 2;
  Ls r;
  if (!(at(p, &r) <= rs[best])) {  // the refinement never does worse than the grid
    p = ps[best];
    at(p, &r);
  }
  if (!r.ok) return std::nullopt;
  if (params) *params = 3;
  return Curve::power(x, r.beta[0], r.beta[1], p);
}

std::optional<Curve> fit_piecewise(CurveInput x, std::span<const Observation> obs, int* params) {
  const std::vector<double> xs = distinct_values(obs, x);
  if (xs.size() < 3 || obs.size() < 5) return std::nullopt;
  const VectorXd t = times(obs);
  double best_rss = kInf, best_knee = 0;
  Ls best;
  // The knee is searched over the observed values strictly inside the range, so that both
  // segments have points.
  for (std::size_t k = 1; k + 1 < xs.size(); ++k) {
    const double knee = xs[k];
    const MatrixXd X = design(obs, 3, [&](const Observation& o, auto row) {
      const double v = arg(o, x);
      row[1] = std::min(v, knee);
      row[2] = std::max(v - knee, 0.0);
    });
    double rss = kInf;
    const Ls r = relative_ls(X, t, &rss);
    if (r.ok && rss < best_rss) best_rss = rss, best_knee = knee, best = r;
  }
  if (!best.ok || !(best_knee > 0)) return std::nullopt;
  if (params) *params = 4;
  return Curve::piecewise(x, best.beta[0], {best.beta[1], best.beta[2]}, {best_knee});
}

std::optional<Curve> fit_table(CurveInput x, std::span<const Observation> obs, int* params) {
  // With weights 1/fit^2, constant within a group, each point's least-squares value is the mean
  // of the times measured there.
  const std::vector<double> xs = distinct_values(obs, x);
  if (xs.size() < 2) return std::nullopt;
  std::vector<double> sum(xs.size(), 0.0), count(xs.size(), 0.0);
  for (const auto& o : obs) {
    const auto j =
        static_cast<std::size_t>(std::lower_bound(xs.begin(), xs.end(), arg(o, x)) - xs.begin());
    sum[j] += o.t_ns;
    count[j] += 1;
  }
  std::vector<double> ts(xs.size());
  for (std::size_t j = 0; j < xs.size(); ++j) ts[j] = sum[j] / count[j];
  if (params) *params = static_cast<int>(xs.size());
  return Curve::table(x, xs, std::move(ts));
}

double aicc(double rss, std::size_t n_obs, int params) {
  // The residual variance is a parameter too. A perfect fit (rss 0, synthetic data) would make
  // log(rss) -inf for every exact form; a floor far below any measurement's resolution keeps
  // the comparison to the parameter counts.
  const double n = static_cast<double>(n_obs);
  const double k = params + 1.0;
  if (n - k - 1 <= 0) return kInf;
  const double r = std::max(rss / n, 1e-24);
  return n * std::log(r) + 2 * k + 2 * k * (k + 1) / (n - k - 1);
}

double relative_rss(std::span<const Observation> obs, const Curve& c) {
  double s = 0;
  for (const auto& o : obs) {
    const double f = c.mean_ns(o.x);
    const double r = f > 0 ? (o.t_ns - f) / f : 1.0;
    s += r * r;
  }
  return s;
}

}  // namespace

std::string FormSpec::label() const {
  std::string s(curve_form_name(form));
  if (inputs.empty()) return s;
  s += "[";
  for (std::size_t i = 0; i < inputs.size(); ++i)
    s += (i ? "," : "") + std::string(curve_input_name(inputs[i]));
  return s + "]";
}

std::vector<FormSpec> candidate_forms(std::span<const Observation> obs, const FitOptions& o) {
  constexpr CurveInput kAll[] = {CurveInput::kBatch, CurveInput::kPixels, CurveInput::kBytes};
  // The inputs that vary, less any that is a fixed multiple of one before it (bytes = 3 *
  // pixels for a raw RGB image): such a pair gives the same fit twice.
  std::vector<CurveInput> varying;
  for (const CurveInput x : kAll) {
    if (distinct_values(obs, x).size() < 2) continue;
    bool proportional = false;
    for (const CurveInput y : varying) {
      double ratio = 0;
      bool same = true;
      for (const auto& ob : obs) {
        const double a = arg(ob, x), b = arg(ob, y);
        if (b == 0) {
          same = same && a == 0;
          continue;
        }
        if (ratio == 0) ratio = a / b;
        same = same && std::abs(a / b - ratio) <= 1e-9 * std::abs(ratio);
      }
      proportional = proportional || same;
    }
    if (!proportional) varying.push_back(x);
  }
  std::vector<FormSpec> v{{CurveForm::kConstant, {}}};
  const unsigned n = static_cast<unsigned>(varying.size());
  // Affine subsets, fewest inputs first.
  for (unsigned size = 1; size <= n; ++size)
    for (unsigned mask = 1; mask < (1u << n); ++mask) {
      if (static_cast<unsigned>(__builtin_popcount(mask)) != size) continue;
      FormSpec s{CurveForm::kAffine, {}};
      for (unsigned j = 0; j < n; ++j)
        if (mask & (1u << j)) s.inputs.push_back(varying[j]);
      v.push_back(s);
    }
  for (const CurveInput x : varying)
    if (distinct_values(obs, x).size() >= 3) v.push_back({CurveForm::kPower, {x}});
  for (const CurveInput x : varying)
    if (x == CurveInput::kBatch && distinct_values(obs, x).size() >= 3)
      v.push_back({CurveForm::kPiecewise, {x}});
  // A table only when its input is the only one that varies: with repeats at every point, k-fold
  // folds by row hold out repeats, not points, so a table through (say) every image's bytes
  // would memorise each image and still cross-validate well while ignoring its pixels.
  if (varying.size() == 1) {
    const std::size_t d = distinct_values(obs, varying[0]).size();
    if (d <= o.max_table_points && d + 2 < obs.size())
      v.push_back({CurveForm::kTable, {varying[0]}});
  }
  return v;
}

std::optional<Curve> fit_form(const FormSpec& spec, std::span<const Observation> obs, int* params) {
  if (obs.empty()) return std::nullopt;
  switch (spec.form) {
    case CurveForm::kConstant:
    case CurveForm::kAffine:
      return fit_affine(spec, obs, params);
    case CurveForm::kPower:
      return fit_power(spec.inputs.at(0), obs, params);
    case CurveForm::kPiecewise:
      return fit_piecewise(spec.inputs.at(0), obs, params);
    case CurveForm::kTable:
      return fit_table(spec.inputs.at(0), obs, params);
  }
  return std::nullopt;
}

double lognormal_cv(std::span<const Observation> obs, const Curve& c, int params) {
  const double dof = static_cast<double>(obs.size()) - params;
  if (dof < 1) return 0;
  double mean = 0;
  std::vector<double> r;
  for (const auto& o : obs) {
    const double f = c.mean_ns(o.x);
    if (!(f > 0)) continue;
    r.push_back(std::log(o.t_ns / f));
    mean += r.back();
  }
  if (r.empty()) return 0;
  mean /= static_cast<double>(r.size());
  double ss = 0;
  for (const double v : r) ss += (v - mean) * (v - mean);
  return std::sqrt(std::expm1(ss / dof));
}

namespace {

/// fit_curve without the outlier screen.
FitReport fit_all(std::span<const Observation> obs, const FitOptions& o) {
  if (obs.size() < kMinFitSamples)
    throw std::invalid_argument("a fit needs at least " + std::to_string(kMinFitSamples) +
                                " samples, got " + std::to_string(obs.size()));
  for (const auto& ob : obs)
    if (!(ob.t_ns > 0) || !std::isfinite(ob.t_ns))
      throw std::invalid_argument("every sample's time must be > 0 and finite");
  const std::vector<FormSpec> specs =
      o.only ? std::vector<FormSpec>{*o.only} : candidate_forms(obs, o);
  // Fold of observation i is i mod k: deterministic, and a file written size by size with its
  // repeats in a row spreads each size's repeats over the folds.
  const std::size_t k =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(o.folds, 2)), obs.size());
  FitReport rep;
  rep.samples = obs.size();
  std::vector<Observation> train, test;
  for (const FormSpec& spec : specs) {
    FormFit ff;
    ff.spec = spec;
    auto all = fit_form(spec, obs, &ff.params);
    if (!all) continue;
    ff.curve = std::move(*all);
    ff.rss = relative_rss(obs, ff.curve);
    ff.aicc = aicc(ff.rss, obs.size(), ff.params);
    double sq = 0;
    std::size_t held = 0;
    bool folds_ok = true;
    for (std::size_t f = 0; f < k && folds_ok; ++f) {
      train.clear();
      test.clear();
      for (std::size_t i = 0; i < obs.size(); ++i) (i % k == f ? test : train).push_back(obs[i]);
      const auto c = fit_form(spec, train, nullptr);
      if (!c) {
        folds_ok = false;
        break;
      }
      for (const auto& t : test) {
        const double e = (c->mean_ns(t.x) - t.t_ns) / t.t_ns;
        sq += e * e;
        ++held;
      }
    }
    ff.cv_error = folds_ok && held ? std::sqrt(sq / static_cast<double>(held)) : kInf;
    // AICc is undefined with too few samples for the parameters (n <= k + 1: three timings of
    // a constant); such a form can still win on CV error when no form has an AICc.
    ff.eligible = folds_ok && std::isfinite(ff.cv_error);
    rep.candidates.push_back(std::move(ff));
  }
  double best_cv = kInf;
  for (const auto& c : rep.candidates)
    if (c.eligible) best_cv = std::min(best_cv, c.cv_error);
  if (!std::isfinite(best_cv)) {
    std::string tried;
    for (const auto& s : specs) tried += (tried.empty() ? "" : ", ") + s.label();
    throw std::invalid_argument("no form could be fitted and cross-validated on " +
                                std::to_string(obs.size()) + " samples (tried " + tried + ")");
  }
  // Among the forms tied on CV error, the lowest AICc; but AICc differences below
  // o.aicc_margin are not evidence (Burnham & Anderson 2002, sec. 2.6: within 2 units both
  // models are substantially supported), and there the form with fewer parameters wins. Without
  // the margin a nested form one parameter larger than the true one wins whenever its fit
  // improves by chi-square(1) > 2: 16% of the time; with it, > 4: 4.6%.
  auto tied = [&](const FormFit& c) {
    return c.eligible && c.cv_error <= best_cv + o.tie_cv_error;
  };
  double best_aicc = kInf;
  for (const auto& c : rep.candidates)
    if (tied(c)) best_aicc = std::min(best_aicc, c.aicc);
  bool first = true;
  for (std::size_t i = 0; i < rep.candidates.size(); ++i) {
    const FormFit& c = rep.candidates[i];
    if (!tied(c) || (std::isfinite(best_aicc) && c.aicc > best_aicc + o.aicc_margin)) continue;
    const FormFit& b = rep.candidates[rep.chosen];
    if (first || c.params < b.params || (c.params == b.params && c.aicc < b.aicc)) rep.chosen = i;
    first = false;
  }
  const FormFit& chosen = rep.candidates[rep.chosen];
  rep.curve = chosen.curve;
  double mean = 0;
  for (const auto& ob : obs) mean += ob.t_ns;
  mean /= static_cast<double>(obs.size());
  double ss_res = 0, ss_tot = 0;
  for (const auto& ob : obs) {
    const double d = ob.t_ns - rep.curve.mean_ns(ob.x);
    ss_res += d * d;
    ss_tot += (ob.t_ns - mean) * (ob.t_ns - mean);
  }
  rep.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 0;
  rep.rmse_ns = std::sqrt(ss_res / static_cast<double>(obs.size()));
  rep.holdout_error = chosen.cv_error;
  rep.noise_cv = lognormal_cv(obs, rep.curve, chosen.params);
  if (rep.noise_cv > 0)
    rep.curve.with_noise(
        Distribution::make(DistKind::kLognormal, 1.0, std::min(rep.noise_cv, 10.0)));
  rep.curve.fit.r2 = ss_tot > 0 ? std::optional<double>(rep.r2) : std::nullopt;
  rep.curve.fit.rmse_ns = rep.rmse_ns;
  rep.curve.fit.samples = static_cast<std::int64_t>(obs.size());
  rep.curve.fit.holdout_error = rep.holdout_error;
  return rep;
}

}  // namespace

std::vector<bool> slow_outliers(std::span<const Observation> obs, const Curve& c, double sigmas) {
  std::vector<bool> out(obs.size(), false);
  if (!(sigmas > 0) || obs.size() < 3) return out;
  std::vector<double> r(obs.size());
  for (std::size_t i = 0; i < obs.size(); ++i) r[i] = std::log(obs[i].t_ns / c.mean_ns(obs[i].x));
  auto median = [](std::vector<double> v) {
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
  };
  const double med = median(r);
  std::vector<double> dev(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) dev[i] = std::abs(r[i] - med);
  // 1.4826 MAD estimates a normal's standard deviation (Rousseeuw & Croux 1993).
  const double sigma = 1.4826 * median(dev);
  if (!(sigma > 0)) return out;
  for (std::size_t i = 0; i < r.size(); ++i) out[i] = r[i] - med > sigmas * sigma;
  return out;
}

FitReport fit_curve(std::span<const Observation> obs, const FitOptions& o) {
  FitReport rep = fit_all(obs, o);
  const std::vector<bool> slow = slow_outliers(obs, rep.curve, o.outlier_sigmas);
  std::vector<Observation> kept;
  for (std::size_t i = 0; i < obs.size(); ++i)
    if (!slow[i]) kept.push_back(obs[i]);
  if (kept.size() == obs.size() || kept.size() < 2) return rep;
  FitReport clean = fit_all(kept, o);
  clean.outliers = obs.size() - kept.size();
  return clean;
}

}  // namespace servesim::calib
