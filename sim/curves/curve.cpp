#include "sim/curves/curve.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/core/format.h"

namespace servesim {

namespace {

/// The names alone, in the rows' order (what curve_*_names hand out).
template <class E, std::size_t N>
constexpr std::array<std::string_view, N> names_of(
    const std::pair<E, std::string_view> (&rows)[N]) {
  std::array<std::string_view, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = rows[i].second;
  return out;
}

constexpr auto kInputNames = names_of(kCurveInputNames);
constexpr auto kFormNames = names_of(kCurveFormNames);

template <class E, std::size_t N>
std::string_view name_of(const std::pair<E, std::string_view> (&rows)[N], E value) {
  for (const auto& [v, n] : rows)
    if (v == value) return n;
  throw std::logic_error("a curve input or form without a name");
}

template <class E, std::size_t N>
bool value_of(const std::pair<E, std::string_view> (&rows)[N], std::string_view name, E& out) {
  for (const auto& [v, n] : rows) {
    if (n == name) {
      out = v;
      return true;
    }
  }
  return false;
}

std::string fmt(double v) { return format("%g", v); }

/// A time or a slope: finite and >= 0.
void check_ns(double v, const std::string& what) {
  if (!std::isfinite(v) || v < 0)
    throw std::invalid_argument(what + " must be a finite time >= 0, got " + fmt(v) + " ns");
}

}  // namespace

std::string_view curve_input_name(CurveInput x) { return name_of(kCurveInputNames, x); }
std::span<const std::string_view> curve_input_names() { return kInputNames; }
bool parse_curve_input(std::string_view name, CurveInput& out) {
  return value_of(kCurveInputNames, name, out);
}

std::string_view curve_form_name(CurveForm f) { return name_of(kCurveFormNames, f); }
std::span<const std::string_view> curve_form_names() { return kFormNames; }
bool parse_curve_form(std::string_view name, CurveForm& out) {
  return value_of(kCurveFormNames, name, out);
}

void Curve::set_single_input(CurveInput x) {
  x_ = x;
  inputs_[0] = x;
  n_inputs_ = 1;
}

Curve Curve::constant(double a_ns) {
  check_ns(a_ns, "a");
  Curve c;
  c.form_ = CurveForm::kConstant;
  c.a_ = a_ns;
  return c;
}

Curve Curve::affine(double a_ns,
                    const std::vector<std::pair<CurveInput, double>>& slopes_ns_per_unit) {
  check_ns(a_ns, "a");
  if (slopes_ns_per_unit.empty())
    throw std::invalid_argument("an affine curve needs at least one input");
  Curve c;
  c.form_ = CurveForm::kAffine;
  c.a_ = a_ns;
  for (const auto& [x, slope] : slopes_ns_per_unit) {
    const std::string name(curve_input_name(x));
    for (std::size_t i = 0; i < c.n_inputs_; ++i)
      if (c.inputs_[i] == x) throw std::invalid_argument("input '" + name + "' is listed twice");
    check_ns(slope, "the slope of " + name);
    c.inputs_[c.n_inputs_++] = x;
    c.slope_[static_cast<std::size_t>(x)] = slope;
  }
  if (c.n_inputs_ == 1) c.x_ = c.inputs_[0];
  return c;
}

Curve Curve::power(CurveInput x, double a_ns, double b_ns, double p) {
  check_ns(a_ns, "a");
  check_ns(b_ns, "b");
  if (!std::isfinite(p) || p <= 0)
    throw std::invalid_argument("the exponent p must be a finite number > 0, got " + fmt(p));
  Curve c;
  c.form_ = CurveForm::kPower;
  c.set_single_input(x);
  c.a_ = a_ns;
  c.b_ = b_ns;
  c.p_ = p;
  return c;
}

Curve Curve::piecewise(CurveInput x, double a_ns, std::vector<double> slopes_ns,
                       std::vector<double> knees) {
  check_ns(a_ns, "a");
  if (slopes_ns.size() != knees.size() + 1)
    throw std::invalid_argument(
        "a piecewise curve needs one more slope than knees (a slope before the first knee and "
        "one after each), got " +
        std::to_string(slopes_ns.size()) + " slopes and " + std::to_string(knees.size()) +
        " knees");
  for (std::size_t i = 0; i < slopes_ns.size(); ++i)
    check_ns(slopes_ns[i], "slope " + std::to_string(i));
  for (std::size_t i = 0; i < knees.size(); ++i) {
    if (!std::isfinite(knees[i]) || knees[i] <= 0)
      throw std::invalid_argument("knees must be finite and > 0, got " + fmt(knees[i]));
    if (i > 0 && knees[i] <= knees[i - 1])
      throw std::invalid_argument("knees must be strictly increasing, got " + fmt(knees[i - 1]) +
                                  " then " + fmt(knees[i]));
  }
  Curve c;
  c.form_ = CurveForm::kPiecewise;
  c.set_single_input(x);
  c.a_ = a_ns;
  // The time at each knee, so that evaluation is one search and one multiply-add.
  double t = a_ns, at = 0;
  c.knee_ts_.reserve(knees.size());
  for (std::size_t i = 0; i < knees.size(); ++i) {
    t += slopes_ns[i] * (knees[i] - at);
    at = knees[i];
    c.knee_ts_.push_back(t);
  }
  if (!std::isfinite(t)) throw std::invalid_argument("the piecewise curve overflows");
  c.slopes_ = std::move(slopes_ns);
  c.knees_ = std::move(knees);
  return c;
}

Curve Curve::table(CurveInput x, std::vector<double> xs, std::vector<double> ts_ns) {
  if (xs.empty()) throw std::invalid_argument("a table needs at least one point");
  if (xs.size() != ts_ns.size())
    throw std::invalid_argument("a table needs as many times as x values, got " +
                                std::to_string(xs.size()) + " x values and " +
                                std::to_string(ts_ns.size()) + " times");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || xs[i] < 0)
      throw std::invalid_argument("table x values must be finite and >= 0, got " + fmt(xs[i]));
    if (i > 0 && xs[i] <= xs[i - 1])
      throw std::invalid_argument("table x values must be strictly increasing, got " +
                                  fmt(xs[i - 1]) + " then " + fmt(xs[i]));
    check_ns(ts_ns[i], "table time " + std::to_string(i));
  }
  Curve c;
  c.form_ = CurveForm::kTable;
  c.set_single_input(x);
  c.xs_ = std::move(xs);
  c.ts_ = std::move(ts_ns);
  return c;
}

Curve& Curve::with_noise(Distribution noise_mean_1) {
  if (!(std::abs(noise_mean_1.mean() - 1.0) <= 1e-9))
    throw std::invalid_argument("a curve's noise must have mean 1, got " +
                                fmt(noise_mean_1.mean()));
  noise_ = std::move(noise_mean_1);
  return *this;
}

Curve Curve::scaled(double factor) const {
  if (!std::isfinite(factor) || factor <= 0)
    throw std::invalid_argument("a curve's scale factor must be finite and > 0, got " +
                                fmt(factor));
  Curve c = *this;
  c.a_ *= factor;
  for (double& v : c.slope_) v *= factor;
  c.b_ *= factor;
  for (std::vector<double>* v : {&c.slopes_, &c.knee_ts_, &c.ts_})
    for (double& x : *v) x *= factor;
  return c;
}

double Curve::mean_ns(const CurveArgs& args) const {
  double t = 0;
  switch (form_) {
    case CurveForm::kConstant:
      t = a_;
      break;
    case CurveForm::kAffine:
      t = a_ + slope_[0] * args.batch + slope_[1] * args.pixels + slope_[2] * args.bytes;
      break;
    case CurveForm::kPower:
      t = a_ + b_ * std::pow(curve_arg(args, x_), p_);
      break;
    case CurveForm::kPiecewise: {
      const double x = curve_arg(args, x_);
      // Segment i runs from knee i-1 (or 0) to knee i; x on a knee belongs to the next segment.
      const auto i = static_cast<std::size_t>(std::upper_bound(knees_.begin(), knees_.end(), x) -
                                              knees_.begin());
      const double x0 = i == 0 ? 0.0 : knees_[i - 1];
      const double t0 = i == 0 ? a_ : knee_ts_[i - 1];
      t = t0 + slopes_[i] * (x - x0);
      break;
    }
    case CurveForm::kTable: {
      if (xs_.size() == 1) {
        t = ts_[0];
        break;
      }
      const double x = curve_arg(args, x_);
      // The segment [xs_[i], xs_[i+1]] holding x, or the end segment on x's side.
      const auto i = static_cast<std::size_t>(std::upper_bound(xs_.begin() + 1, xs_.end() - 1, x) -
                                              xs_.begin() - 1);
      t = ts_[i] + (ts_[i + 1] - ts_[i]) * (x - xs_[i]) / (xs_[i + 1] - xs_[i]);
      break;
    }
  }
  return t > 0.0 ? t : 0.0;  // also maps NaN (a negative input to a fractional power) to 0
}

}  // namespace servesim
