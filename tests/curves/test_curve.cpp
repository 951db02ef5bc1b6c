// Tests of service-time curves: each form evaluates as its formula, tables extrapolate,
// piecewise curves are continuous at their knees, noise keeps the mean and has the configured cv.

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"
#include "sim/curves/curve.h"
#include "tests/support/sample_stats.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

CurveArgs at_batch(double b) { return {b, 0, 0}; }
CurveArgs at_pixels(double p) { return {1, p, 0}; }

/// Matches a value computed by the same formula in another order (a few ulps apart).
Approx same(double v) { return Approx(v).epsilon(1e-12).margin(1e-9); }

TEST_CASE("a constant curve is its a at every input", "[unit]") {
  const Curve c = Curve::constant(45000);
  CHECK(c.form() == CurveForm::kConstant);
  CHECK(c.inputs().empty());
  for (const CurveArgs x : {CurveArgs{}, CurveArgs{64, 1e7, 1e6}, CurveArgs{0, 0, 0}})
    CHECK(c.mean_ns(x) == 45000);
}

TEST_CASE("an affine curve is a plus each slope times its input", "[unit]") {
  const Curve one = Curve::affine(45000, {{CurveInput::kPixels, 7.9}});
  REQUIRE(one.inputs().size() == 1);
  CHECK(one.inputs()[0] == CurveInput::kPixels);
  CHECK(one.slope_ns(CurveInput::kPixels) == 7.9);
  CHECK(one.slope_ns(CurveInput::kBatch) == 0);
  for (const double px : {0.0, 1.0, 187500.0, 3564.0 * 2880.0})
    CHECK(one.mean_ns(at_pixels(px)) == same(45000 + 7.9 * px));

  const Curve three = Curve::affine(
      1000, {{CurveInput::kBytes, 0.25}, {CurveInput::kBatch, 300}, {CurveInput::kPixels, 2}});
  REQUIRE(three.inputs().size() == 3);
  CHECK(three.inputs()[0] == CurveInput::kBytes);  // in the order given
  CHECK(three.inputs()[1] == CurveInput::kBatch);
  for (const CurveArgs x : {CurveArgs{1, 0, 0}, CurveArgs{8, 1.5e6, 121000}, CurveArgs{64, 3, 5}})
    CHECK(three.mean_ns(x) == same(1000 + 300 * x.batch + 2 * x.pixels + 0.25 * x.bytes));
}

TEST_CASE("a power curve is a + b * x^p", "[unit]") {
  const Curve c = Curve::power(CurveInput::kBatch, 2000, 150, 1.5);
  CHECK(c.form() == CurveForm::kPower);
  CHECK(c.exponent() == 1.5);
  CHECK(c.mean_ns(at_batch(0)) == 2000);
  for (const double b : {1.0, 4.0, 7.0, 64.0})
    CHECK(c.mean_ns(at_batch(b)) == same(2000 + 150 * std::pow(b, 1.5)));
  CHECK(c.mean_ns(at_batch(4)) == 2000 + 150 * 8);
}

TEST_CASE("a piecewise curve integrates its slopes between knees and is continuous at them",
          "[unit]") {
  // 1 ms fixed, 500 us per image up to batch 8, 100 us up to 32, then 400 us (past the roofline).
  const Curve c = Curve::piecewise(CurveInput::kBatch, 1e6, {5e5, 1e5, 4e5}, {8, 32});
  const auto formula = [](double b) {
    double t = 1e6 + 5e5 * std::min(b, 8.0);
    if (b > 8) t += 1e5 * (std::min(b, 32.0) - 8);
    if (b > 32) t += 4e5 * (b - 32);
    return t;
  };
  for (const double b : {0.0, 1.0, 7.5, 8.0, 9.0, 20.0, 32.0, 33.0, 64.0, 1000.0})
    CHECK(c.mean_ns(at_batch(b)) == same(formula(b)));
  CHECK(c.mean_ns(at_batch(8)) == 5e6);
  CHECK(c.mean_ns(at_batch(32)) == 7.4e6);
  // Continuity: the values just either side of a knee approach the value at it.
  for (const double knee : {8.0, 32.0}) {
    const double h = 1e-6;
    const double t = c.mean_ns(at_batch(knee));
    CHECK(c.mean_ns(at_batch(knee - h)) == Approx(t).epsilon(0).margin(5e5 * h * 1.01));
    CHECK(c.mean_ns(at_batch(knee + h)) == Approx(t).epsilon(0).margin(5e5 * h * 1.01));
  }
  // No knees at all is an affine curve.
  const Curve line = Curve::piecewise(CurveInput::kPixels, 10, {2}, {});
  CHECK(line.mean_ns(at_pixels(100)) == 210);
}

TEST_CASE("a table interpolates linearly and extrapolates with its end segments' slopes",
          "[unit]") {
  const Curve c = Curve::table(CurveInput::kBatch, {1, 2, 4, 8}, {10, 20, 60, 100});
  CHECK(c.form() == CurveForm::kTable);
  CHECK(c.a_ns() == 0);
  // On the points.
  CHECK(c.mean_ns(at_batch(1)) == 10);
  CHECK(c.mean_ns(at_batch(2)) == 20);
  CHECK(c.mean_ns(at_batch(4)) == 60);
  CHECK(c.mean_ns(at_batch(8)) == 100);
  // Between them.
  CHECK(c.mean_ns(at_batch(1.5)) == same(15));
  CHECK(c.mean_ns(at_batch(3)) == same(40));
  CHECK(c.mean_ns(at_batch(6)) == same(80));
  // Beyond them: slope 10 below the first point, 10 per unit after the last.
  CHECK(c.mean_ns(at_batch(0.5)) == same(5));
  CHECK(c.mean_ns(at_batch(0)) == same(0));
  CHECK(c.mean_ns(at_batch(16)) == same(180));
  CHECK(c.mean_ns(at_batch(64)) == same(660));

  const Curve single = Curve::table(CurveInput::kBytes, {1000}, {77});
  for (const double b : {0.0, 1000.0, 1e9}) CHECK(single.mean_ns({1, 0, b}) == 77);
}

TEST_CASE("a curve's mean is never negative", "[unit]") {
  // A falling table extrapolates below zero past its end; the mean stops at 0.
  const Curve falling = Curve::table(CurveInput::kBatch, {1, 2}, {100, 50});
  CHECK(falling.mean_ns(at_batch(3)) == 0);
  CHECK(falling.mean_ns(at_batch(10)) == 0);
  CHECK(falling.mean_ns(at_batch(2.5)) == same(25));
  // A fractional power of a negative input is NaN, which must not escape as a time.
  const Curve root = Curve::power(CurveInput::kPixels, 0, 1, 0.5);
  CHECK(root.mean_ns(at_pixels(-4)) == 0);
}

TEST_CASE("curve builders reject impossible coefficients with a message for the user", "[unit]") {
  const auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(nothing thrown)";
  };
  using X = CurveInput;
  CHECK_THAT(message([] { Curve::constant(-1); }), Contains("a must be a finite time >= 0"));
  CHECK_THAT(message([] { Curve::constant(NAN); }), Contains(">= 0"));
  CHECK_THAT(message([] { Curve::affine(0, {}); }), Contains("at least one input"));
  CHECK_THAT(message([] {
               Curve::affine(0, {{X::kPixels, -1}});
             }),
             Contains("slope of pixels must be"));
  CHECK_THAT(message([] {
               Curve::affine(0, {{X::kPixels, 1}, {X::kPixels, 2}});
             }),
             Contains("'pixels' is listed twice"));
  CHECK_THAT(message([] { Curve::power(X::kBatch, 0, 1, 0); }), Contains("p must be"));
  CHECK_THAT(message([] { Curve::power(X::kBatch, 0, -1, 1); }), Contains("b must be"));
  CHECK_THAT(message([] {
               Curve::piecewise(X::kBatch, 0, {1, 2}, {4, 8});
             }),
             Contains("one more slope than knees"));
  CHECK_THAT(message([] {
               Curve::piecewise(X::kBatch, 0, {1, 2, 3}, {8, 4});
             }),
             Contains("strictly increasing"));
  CHECK_THAT(message([] { Curve::piecewise(X::kBatch, 0, {1, 2}, {0}); }), Contains("> 0"));
  CHECK_THAT(message([] { Curve::table(X::kBatch, {}, {}); }), Contains("at least one point"));
  CHECK_THAT(message([] { Curve::table(X::kBatch, {1, 2}, {5}); }), Contains("as many times"));
  CHECK_THAT(message([] {
               Curve::table(X::kBatch, {2, 1}, {5, 6});
             }),
             Contains("strictly increasing"));
  CHECK_THAT(message([] { Curve::table(X::kBatch, {1, 2}, {5, -6}); }), Contains(">= 0"));
  CHECK_THAT(message([] {
               Curve::constant(1).with_noise(Distribution::make(DistKind::kGamma, 2.0, 0.1));
             }),
             Contains("mean 1"));
}

/// Intervals of 4 standard errors.
constexpr double kZ = 4;
using Estimate = test::SampleEstimate;

TEST_CASE("noisy samples keep the curve's mean within 4 standard errors and have its cv",
          "[unit]") {
  constexpr int kN = 200000;
  const CurveArgs x = at_pixels(187500);
  for (const DistKind kind : {DistKind::kLognormal, DistKind::kGamma}) {
    for (const double cv : {0.06, 0.5}) {
      Curve c = Curve::affine(45000, {{CurveInput::kPixels, 7.9}});
      c.with_noise(Distribution::make(kind, 1.0, cv));
      REQUIRE(c.noise() != nullptr);
      Rng rng = Rng::stream(1, 0, "t", "t");
      std::vector<double> v(kN);
      for (double& s : v) s = c.sample_ns(x, rng);
      const Estimate e = test::estimate(v, kZ);
      const double mean = c.mean_ns(x);
      // The configured mean's standard error, cv * mean / sqrt(n), bounds the sample's too.
      const double se = cv * mean / std::sqrt(double{kN});
      INFO(dist_kind_name(kind) << " cv " << cv << ": sample mean " << e.mean << " (curve " << mean
                                << ", 4 SE " << 4 * se << "), sample cv " << e.cv << " +- "
                                << e.cv_half);
      CHECK(std::abs(e.mean - mean) <= 4 * se);
      CHECK(std::abs(e.mean - mean) <= e.mean_half);
      CHECK(std::abs(e.cv - cv) <= e.cv_half);
    }
  }
}

TEST_CASE("a curve without noise samples exactly its mean and draws nothing", "[unit]") {
  const Curve c = Curve::piecewise(CurveInput::kBatch, 1e6, {5e5, 1e5}, {8});
  CHECK(c.noise() == nullptr);
  Rng used = Rng::stream(1, 0, "t", "t");
  Rng untouched = Rng::stream(1, 0, "t", "t");
  for (const double b : {1.0, 8.0, 13.0})
    CHECK(c.sample_ns(at_batch(b), used) == c.mean_ns(at_batch(b)));
  CHECK(used.next() == untouched.next());
}

TEST_CASE("curve input and form names read back to the same values", "[unit]") {
  for (const auto x : {CurveInput::kBatch, CurveInput::kPixels, CurveInput::kBytes}) {
    CurveInput y;
    REQUIRE(parse_curve_input(curve_input_name(x), y));
    CHECK(y == x);
  }
  for (const auto f : {CurveForm::kConstant, CurveForm::kAffine, CurveForm::kPower,
                       CurveForm::kPiecewise, CurveForm::kTable}) {
    CurveForm g;
    REQUIRE(parse_curve_form(curve_form_name(f), g));
    CHECK(g == f);
  }
  CurveInput y;
  CHECK_FALSE(parse_curve_input("pixel", y));
  CurveForm g;
  CHECK_FALSE(parse_curve_form("linear", g));
  CHECK(curve_input_names().size() == 3);
  CHECK(curve_form_names().size() == 5);
}

}  // namespace
TEST_CASE("a scaled curve is the factor times the curve, in every form", "[unit]") {
  // The hand-derived values at factor 2.5: every time of the curve (intercept, slopes, points)
  // is 2.5 times as long, so the whole curve is.
  const Curve constant = Curve::constant(4000).scaled(2.5);
  CHECK(constant.mean_ns({}) == 10000);
  const Curve affine = Curve::affine(1000, {{CurveInput::kBatch, 300}, {CurveInput::kPixels, 2}});
  CHECK(affine.scaled(2.5).mean_ns({4, 100, 0}) == 2.5 * (1000 + 1200 + 200));
  const Curve power = Curve::power(CurveInput::kBatch, 2000, 150, 1.5).scaled(2.5);
  CHECK(power.mean_ns(at_batch(4)) == 2.5 * (2000 + 150 * 8));
  CHECK(power.exponent() == 1.5);  // the shape is kept
  // a = 1000, 100 per image up to 8, then 50: at 10, 1000 + 800 + 100 = 1900.
  const Curve piecewise = Curve::piecewise(CurveInput::kBatch, 1000, {100, 50}, {8}).scaled(2.5);
  CHECK(piecewise.mean_ns(at_batch(10)) == 2.5 * 1900);
  CHECK(piecewise.mean_ns(at_batch(8)) == 2.5 * 1800);
  CHECK(piecewise.knees()[0] == 8);
  // Points (1, 1000) and (3, 2000): at 2, 1500; beyond, the end segment.
  const Curve table = Curve::table(CurveInput::kBatch, {1, 3}, {1000, 2000}).scaled(2.5);
  CHECK(table.mean_ns(at_batch(2)) == 2.5 * 1500);
  CHECK(table.mean_ns(at_batch(5)) == 2.5 * 3000);
  // The noise (mean 1) and the source stay; factor 1 is the curve itself.
  Curve noisy = Curve::constant(4000).with_noise(Distribution::make(DistKind::kGamma, 1, 0.2));
  noisy.source = "s";
  const Curve kept = noisy.scaled(1);
  CHECK(kept.mean_ns({}) == 4000);
  REQUIRE(kept.noise() != nullptr);
  CHECK(kept.noise()->cv() == 0.2);
  CHECK(kept.source == "s");
  for (const double bad : {0.0, -1.0, std::nan(""), HUGE_VAL})
    CHECK_THROWS_WITH(noisy.scaled(bad), Contains("scale factor must be finite and > 0"));
}

}  // namespace servesim
