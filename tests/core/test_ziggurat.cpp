// Tests of the ziggurat generators behind standard_normal and standard_exponential: the tables
// (equal layer areas, the constants r and v), the moments, a chi-square goodness of fit against
// the exact CDF and the frequency of the tails, each with a fixed seed and a tolerance from the
// test's own critical value at a 0.1% level.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"

namespace servesim {
namespace {

/// Two-sided 99.9% normal quantile, and the one-sided one the chi-square bound uses.
constexpr double kZ999Two = 3.2905;
constexpr double kZ999One = 3.0902;

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double exponential_cdf(double x) { return x <= 0 ? 0.0 : -std::expm1(-x); }

/// The 1 - alpha quantile of chi-square with df degrees of freedom by Wilson & Hilferty (1931):
/// (chi2 / df)^(1/3) is close to normal with mean 1 - 2/(9 df) and variance 2/(9 df); within
/// ~0.1% of the exact quantile for df in the hundreds.
double chi_square_critical(double df, double z_one_sided) {
  const double c = 2.0 / (9.0 * df);
  const double t = 1.0 - c + z_one_sided * std::sqrt(c);
  return df * t * t * t;
}

/// Pearson's chi-square of `n` draws against `cdf`, in bins of `width` between lo and hi plus
/// one bin for each side beyond them; returns {statistic, degrees of freedom}.
std::pair<double, double> chi_square(const std::function<double()>& draw, std::int64_t n,
                                     const std::function<double(double)>& cdf, double lo, double hi,
                                     double width) {
  const auto inner = static_cast<std::size_t>(std::lround((hi - lo) / width));
  std::vector<double> observed(inner + 2, 0.0);
  for (std::int64_t k = 0; k < n; ++k) {
    const double x = draw();
    std::size_t bin = 0;
    if (x >= hi)
      bin = inner + 1;
    else if (x >= lo)
      bin = 1 + std::min(inner - 1, static_cast<std::size_t>((x - lo) / width));
    observed[bin] += 1;
  }
  double stat = 0;
  int bins = 0;
  const double total = static_cast<double>(n);
  for (std::size_t b = 0; b < observed.size(); ++b) {
    const double left = b == 0 ? 0.0 : cdf(lo + static_cast<double>(b - 1) * width);
    const double right = b == inner + 1 ? 1.0 : cdf(lo + static_cast<double>(b) * width);
    const double expected = total * (right - left);
    if (expected == 0.0) {  // below 0 for the exponential: must stay empty, and is no bin
      REQUIRE(observed[b] == 0.0);
      continue;
    }
    REQUIRE(expected >= 5.0);  // the chi-square approximation needs it
    stat += (observed[b] - expected) * (observed[b] - expected) / expected;
    ++bins;
  }
  return {stat, static_cast<double>(bins - 1)};
}

/// Checks that the count of draws in an event of probability p is within the 99.9% band of
/// its binomial distribution.
void check_frequency(std::int64_t count, std::int64_t n, double p, const std::string& what) {
  const double expected = static_cast<double>(n) * p;
  const double sd = std::sqrt(expected * (1 - p));
  INFO(what << ": " << count << " draws, expected " << expected << " +- " << kZ999Two * sd);
  CHECK(std::abs(static_cast<double>(count) - expected) <= kZ999Two * sd);
}

void check_tables(const detail::Ziggurat& z, const std::function<double(double)>& f,
                  double tail_area) {
  constexpr int n = detail::Ziggurat::kLayers;
  const double r = z.x[1];
  const double v = r * f(r) + tail_area;
  CHECK(z.x[0] * f(r) == Approx(v).epsilon(1e-14));  // the base strip
  for (int i = 1; i < n; ++i) {
    INFO("layer " << i);
    CHECK(z.x[i] > z.x[i + 1]);
    CHECK(z.f[i] == Approx(f(z.x[i])).epsilon(1e-14));
    // Every layer has the area v (the top one included: that is what fixes r).
    CHECK(z.x[i] * (z.f[i + 1] - z.f[i]) == Approx(v).epsilon(1e-11));
  }
  CHECK(z.x[n] == 0.0);
  CHECK(z.f[n] == 1.0);
  for (int i = 0; i < n; ++i) {
    INFO("layer " << i);
    // inner[i] counts exactly the 53-bit points left of x[i+1], the ones accepted at once.
    const double j = static_cast<double>(z.inner[i]);
    CHECK(j * z.scale[i] >= z.x[i + 1]);
    if (z.inner[i] > 0) CHECK((j - 1) * z.scale[i] < z.x[i + 1]);
    CHECK(z.scale[i] == z.x[i] * 0x1.0p-53);
  }
}

TEST_CASE("ziggurat tables: 256 layers of equal area under exp(-x^2/2) and exp(-x)", "[unit]") {
  const double pi = std::acos(-1.0);
  const double r_normal = detail::kNormalZiggurat.x[1];
  check_tables(
      detail::kNormalZiggurat, [](double x) { return std::exp(-0.5 * x * x); },
      std::sqrt(pi / 2) * std::erfc(r_normal / std::sqrt(2.0)));
  const double r_exp = detail::kExponentialZiggurat.x[1];
  check_tables(
      detail::kExponentialZiggurat, [](double x) { return std::exp(-x); }, std::exp(-r_exp));
}

constexpr std::int64_t kDraws = 10'000'000;

TEST_CASE("standard_normal: mean 0, variance 1, skewness 0, kurtosis 3 (99.9% bands, n = 1e7)",
          "[unit]") {
  Rng rng = Rng::stream(7, 0, "test", "ziggurat-normal-moments");
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (std::int64_t k = 0; k < kDraws; ++k) {
    const double x = standard_normal(rng);
    s1 += x;
    s2 += x * x;
    s3 += x * x * x;
    s4 += x * x * x * x;
  }
  const double n = static_cast<double>(kDraws);
  // Raw moments of N(0, 1): E x = 0, E x^2 = 1, E x^3 = 0, E x^4 = 3; their estimators' variances
  // are Var(x^k) / n with Var x = 1, Var x^2 = 2, Var x^3 = 15, Var x^4 = 105 - 9 = 96.
  const double m1 = s1 / n, m2 = s2 / n, m3 = s3 / n, m4 = s4 / n;
  INFO("raw moments " << m1 << " " << m2 << " " << m3 << " " << m4);
  CHECK(std::abs(m1) <= kZ999Two * std::sqrt(1 / n));
  CHECK(std::abs(m2 - 1) <= kZ999Two * std::sqrt(2 / n));
  CHECK(std::abs(m3) <= kZ999Two * std::sqrt(15 / n));
  CHECK(std::abs(m4 - 3) <= kZ999Two * std::sqrt(96 / n));
}

TEST_CASE(
    "standard_normal fits the normal CDF: chi-square over 182 bins below its 0.1% critical "
    "value (n = 1e7)",
    "[unit]") {
  Rng rng = Rng::stream(7, 0, "test", "ziggurat-normal-fit");
  // Bins of 0.05 from -4.5 to 4.5 (the outer ones expect ~8 draws) and the two tails beyond.
  const auto [stat, df] =
      chi_square([&] { return standard_normal(rng); }, kDraws, normal_cdf, -4.5, 4.5, 0.05);
  const double critical = chi_square_critical(df, kZ999One);
  INFO("chi-square " << stat << " on " << df << " degrees of freedom, 0.1% critical value "
                     << critical);
  CHECK(stat < critical);
}

TEST_CASE(
    "standard_normal's tails: |z| > 3.5, beyond the base strip r = 3.654, and > 4.5 as "
    "often as the normal CDF says (99.9% bands, n = 1e7)",
    "[unit]") {
  Rng rng = Rng::stream(7, 0, "test", "ziggurat-normal-tails");
  const double r = detail::kNormalZiggurat.x[1];
  std::int64_t beyond35 = 0, beyond_r = 0, beyond45 = 0, negative = 0;
  for (std::int64_t k = 0; k < kDraws; ++k) {
    const double x = standard_normal(rng);
    beyond35 += std::abs(x) > 3.5;
    beyond_r += std::abs(x) > r;
    beyond45 += std::abs(x) > 4.5;
    negative += x < 0;
  }
  check_frequency(beyond35, kDraws, 2 * normal_cdf(-3.5), "|z| > 3.5");
  check_frequency(beyond_r, kDraws, 2 * normal_cdf(-r), "|z| > r (the tail algorithm)");
  check_frequency(beyond45, kDraws, 2 * normal_cdf(-4.5), "|z| > 4.5");
  check_frequency(negative, kDraws, 0.5, "z < 0 (the sign bit)");
}

TEST_CASE(
    "standard_exponential: mean 1 and variance 1 (99.9% bands, n = 1e7), and a "
    "chi-square fit over 201 bins below its 0.1% critical value",
    "[unit]") {
  Rng rng = Rng::stream(7, 0, "test", "ziggurat-exponential");
  double s1 = 0, s2 = 0;
  std::int64_t beyond_r = 0;
  const double r = detail::kExponentialZiggurat.x[1];
  for (std::int64_t k = 0; k < kDraws; ++k) {
    const double x = standard_exponential(rng);
    REQUIRE(x >= 0);
    s1 += x;
    s2 += x * x;
    beyond_r += x > r;
  }
  const double n = static_cast<double>(kDraws);
  // E x = 1, E x^2 = 2; Var x = 1, Var x^2 = E x^4 - 4 = 24 - 4 = 20.
  CHECK(std::abs(s1 / n - 1) <= kZ999Two * std::sqrt(1 / n));
  CHECK(std::abs(s2 / n - 2) <= kZ999Two * std::sqrt(20 / n));
  check_frequency(beyond_r, kDraws, std::exp(-r), "x > r (the tail)");
  // Bins of 0.05 up to 10 (the last expects ~23 draws) and the tail beyond.
  const auto [stat, df] = chi_square([&] { return standard_exponential(rng); }, kDraws,
                                     exponential_cdf, 0.0, 10.0, 0.05);
  const double critical = chi_square_critical(df, kZ999One);
  INFO("chi-square " << stat << " on " << df << " degrees of freedom, 0.1% critical value "
                     << critical);
  CHECK(stat < critical);
}

}  // namespace
}  // namespace servesim
