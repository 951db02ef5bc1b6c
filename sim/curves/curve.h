#pragma once
/// A service-time curve: the mean time of a piece of work as a function of its batch, pixels and
/// bytes, with optional multiplicative noise; fitted offline (calib), evaluated per request.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"

namespace servesim {

/// What a curve is evaluated at: totals over the batch (a single request is batch 1).
struct CurveArgs {
  double batch = 1;
  double pixels = 0;
  double bytes = 0;
};

enum class CurveInput { kBatch, kPixels, kBytes };
enum class CurveForm { kConstant, kAffine, kPower, kPiecewise, kTable };

/// Each input's and each form's name in configs, the only place they are written: the lookups
/// below, the curve schema (sim/scenario/curves.cpp, through EnumNames) and calib read these
/// rows, by value and never by position.
inline constexpr std::pair<CurveInput, std::string_view> kCurveInputNames[] = {
    {CurveInput::kBatch, "batch"}, {CurveInput::kPixels, "pixels"}, {CurveInput::kBytes, "bytes"}};
inline constexpr std::pair<CurveForm, std::string_view> kCurveFormNames[] = {
    {CurveForm::kConstant, "constant"},
    {CurveForm::kAffine, "affine"},
    {CurveForm::kPower, "power"},
    {CurveForm::kPiecewise, "piecewise"},
    {CurveForm::kTable, "table"}};

/// Names as written in configs ("batch", "pixels", "bytes"); the inverse is parse_curve_input.
std::string_view curve_input_name(CurveInput x);
bool parse_curve_input(std::string_view name, CurveInput& out);
std::span<const std::string_view> curve_input_names();

/// Names as written in configs ("constant", "affine", ...); the inverse is parse_curve_form.
std::string_view curve_form_name(CurveForm f);
bool parse_curve_form(std::string_view name, CurveForm& out);
std::span<const std::string_view> curve_form_names();

/// The value of one input in `args`.
inline double curve_arg(const CurveArgs& args, CurveInput x) {
  switch (x) {
    case CurveInput::kBatch:
      return args.batch;
    case CurveInput::kPixels:
      return args.pixels;
    case CurveInput::kBytes:
      return args.bytes;
  }
  return 0.0;
}

/// How well a curve fitted its measurements (kept to be printed, never used to evaluate).
struct CurveFit {
  std::optional<double> r2;
  std::optional<double> rmse_ns;
  std::optional<std::int64_t> samples;
  std::optional<double> holdout_error;  // relative error on held-out measurements
  bool empty() const { return !r2 && !rmse_ns && !samples && !holdout_error; }
};

/// The band a curve's time is uncertain within, from the spread of its sources: a run with
/// `--uncertainty N` multiplies the whole curve by a factor drawn uniformly in [low, high]
/// (docs/model.md, "Input uncertainty"). 0 < low <= 1 <= high.
struct CurveBand {
  double low = 1, high = 1;
  std::optional<double> rel;  // written as `rel` (low = 1 - rel, high = 1 + rel), else low/high
  std::string source;         // how the band was derived from the curve's sources
};

class Curve {
 public:
  /// A curve that is 0 ns everywhere (what a default-constructed curve is).
  Curve() = default;

  // Builders validate their arguments and throw std::invalid_argument with a message meant for
  // the user. Times are in ns; a slope is ns per unit of its input.

  /// t = a.
  static Curve constant(double a_ns);
  /// t = a + sum over inputs of slope * input; inputs distinct, slopes >= 0.
  static Curve affine(double a_ns,
                      const std::vector<std::pair<CurveInput, double>>& slopes_ns_per_unit);
  /// t = a + b * x^p, p > 0.
  static Curve power(CurveInput x, double a_ns, double b_ns, double p);
  /// t = a + the integral from 0 to x of a slope that is slopes[0] up to knees[0], slopes[1] from
  /// there up to knees[1], ..., and slopes.back() after the last knee: continuous, with a bend at
  /// each knee (batch rooflines). Knees > 0 and strictly increasing;
  /// slopes.size() == knees.size() + 1.
  static Curve piecewise(CurveInput x, double a_ns, std::vector<double> slopes_ns,
                         std::vector<double> knees);
  /// Linear interpolation through (xs[i], ts[i]); beyond either end, the end segment's line.
  /// xs >= 0 strictly increasing; one point is a constant.
  static Curve table(CurveInput x, std::vector<double> xs, std::vector<double> ts_ns);

  /// Multiplies every sample by a draw of `noise_mean_1`, which must have mean 1.
  Curve& with_noise(Distribution noise_mean_1);

  /// The same curve with every time (intercept, slopes, points) multiplied by `factor` > 0, so
  /// that mean_ns is `factor` times this curve's; the noise, band and source are kept.
  Curve scaled(double factor) const;

  /// The mean time in ns at `x`, never negative. Cheap: no allocation, no lookup by name.
  double mean_ns(const CurveArgs& x) const;
  /// mean_ns(x) times a noise draw; draws nothing from `rng` when the curve has no noise.
  double sample_ns(const CurveArgs& x, Rng& rng) const {
    const double m = mean_ns(x);
    return noise_ ? m * noise_->sample(rng) : m;
  }

  CurveForm form() const { return form_; }
  /// The inputs the curve depends on, in the order given (empty for a constant).
  std::span<const CurveInput> inputs() const { return {inputs_.data(), n_inputs_}; }
  /// The intercept a (constant, affine, power, piecewise); 0 for a table.
  double a_ns() const { return a_; }
  /// An affine curve's slope for `x`, ns per unit (0 for an input it does not use).
  double slope_ns(CurveInput x) const { return slope_[static_cast<std::size_t>(x)]; }
  /// A power curve's b and p.
  double b_ns() const { return b_; }
  double exponent() const { return p_; }
  /// A piecewise curve's slopes and knees.
  std::span<const double> slopes_ns() const { return slopes_; }
  std::span<const double> knees() const { return knees_; }
  /// A table's points.
  std::span<const double> table_xs() const { return xs_; }
  std::span<const double> table_ts_ns() const { return ts_; }
  /// The noise distribution (mean 1), or nullptr when the curve has none.
  const Distribution* noise() const { return noise_ ? &*noise_ : nullptr; }

  std::string source;  // where the numbers come from: calib run, document and figure, assumption
  CurveFit fit;
  std::optional<CurveBand> band;  // none: the curve is taken as exact

 private:
  void set_single_input(CurveInput x);

  CurveForm form_ = CurveForm::kConstant;
  std::array<CurveInput, 3> inputs_{};
  std::size_t n_inputs_ = 0;
  CurveInput x_ = CurveInput::kBatch;  // the input of a one-input form
  double a_ = 0;
  std::array<double, 3> slope_{};                 // affine, indexed by CurveInput
  double b_ = 0, p_ = 1;                          // power
  std::vector<double> slopes_, knees_, knee_ts_;  // piecewise; knee_ts_[i] = t at knees_[i]
  std::vector<double> xs_, ts_;                   // table
  std::optional<Distribution> noise_;
};

}  // namespace servesim
