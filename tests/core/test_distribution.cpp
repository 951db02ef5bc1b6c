// Tests of the distributions: pinned first samples, configured mean and cv within confidence
// intervals derived from the samples themselves, and the (kind, cv) pairs that are rejected.

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"
#include "tests/support/sample_stats.h"

namespace servesim {
namespace {

constexpr double kMean = 40e6;  // 40 ms in ns, the unit servesim samples in

std::vector<double> draw(const Distribution& d, Rng rng, int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = d.sample(rng);
  return v;
}

/// z for a two-sided 99.9% normal interval.
constexpr double kZ999 = 3.29;
using test::estimate;
using Estimate = test::SampleEstimate;

void check_moments(const Distribution& d, double mean, double cv, const std::string& name) {
  constexpr int kN = 200000;
  const Estimate e = estimate(draw(d, Rng::stream(7, 0, "test", name), kN), kZ999);
  INFO(name << ": sample mean " << e.mean << " +- " << e.mean_half << " (configured " << mean
            << "), sample cv " << e.cv << " +- " << e.cv_half << " (configured " << cv << ")");
  CHECK(std::abs(e.mean - mean) <= e.mean_half);
  CHECK(std::abs(e.cv - cv) <= e.cv_half);
}

TEST_CASE("distributions' first samples from a fixed stream are the pinned golden numbers",
          "[unit]") {
  // Inverse CDFs and generators are ours, so these must not move with the standard library.
  struct Golden {
    DistKind kind;
    double cv;
    double s[3];
  };
  const Golden golden[] = {
      {DistKind::kExponential, 1.0, {4690554.776979167, 41028422.25981611, 55228166.621949397}},
      {DistKind::kDeterministic, 0.0, {40000000, 40000000, 40000000}},
      {DistKind::kUniform, 0.3, {21160587.152061116, 31293059.414175399, 59978017.946302317}},
      {DistKind::kLognormal, 0.6, {32611509.28766029, 23427538.738748752, 72945806.136527374}},
      {DistKind::kGamma, 0.5, {34951234.08290422, 69383902.05660072, 46058650.716599219}},
      {DistKind::kGamma, 2.0, {123122393.89333887, 7764510.2895006575, 23984.990584072999}},
      {DistKind::kErlang, 0.5, {27689997.507495373, 38145666.491525337, 43240910.977943256}},
  };
  for (const Golden& g : golden) {
    INFO(dist_kind_name(g.kind) << " cv " << g.cv);
    const Distribution d = Distribution::make(g.kind, kMean, g.cv);
    Rng rng = Rng::stream(7, 0, "serve", "service");
    for (const double expected : g.s) CHECK(d.sample(rng) == expected);
  }
  const Distribution e = Distribution::empirical({1e6, 2e6, 3e6, 10e6});
  Rng rng = Rng::stream(7, 0, "serve", "service");
  CHECK(e.sample(rng) == 1e6);
  CHECK(e.sample(rng) == 2e6);
  CHECK(e.sample(rng) == 10e6);
}

TEST_CASE("exponential samples have the configured mean and cv 1 (99.9% CI, n = 200000)",
          "[unit]") {
  check_moments(Distribution::make(DistKind::kExponential, kMean, 1.0), kMean, 1.0, "exp");
}

TEST_CASE("deterministic samples all equal the mean", "[unit]") {
  const Distribution d = Distribution::make(DistKind::kDeterministic, kMean, 0.0);
  Rng rng = Rng::stream(7, 0, "test", "det");
  for (int i = 0; i < 1000; ++i) REQUIRE(d.sample(rng) == kMean);
}

TEST_CASE("uniform samples have the configured mean and cv (99.9% CI, n = 200000)", "[unit]") {
  check_moments(Distribution::make(DistKind::kUniform, kMean, 0.3), kMean, 0.3, "uniform-0.3");
  // The largest cv a non-negative uniform has, U(0, 2 mean), is allowed.
  const double max_cv = 1 / std::sqrt(3.0);
  check_moments(Distribution::make(DistKind::kUniform, kMean, max_cv), kMean, max_cv,
                "uniform-max");
}

TEST_CASE("lognormal samples have the configured mean and cv (99.9% CI, n = 200000)", "[unit]") {
  check_moments(Distribution::make(DistKind::kLognormal, kMean, 0.6), kMean, 0.6, "lognormal");
  check_moments(Distribution::make(DistKind::kLognormal, kMean, 0.06), kMean, 0.06,
                "lognormal-low");
}

TEST_CASE("gamma samples have the configured mean and cv (99.9% CI, n = 200000)", "[unit]") {
  check_moments(Distribution::make(DistKind::kGamma, kMean, 0.5), kMean, 0.5, "gamma-0.5");
  // cv 2 is shape 0.25 < 1, which takes the U^(1/shape) boost path.
  check_moments(Distribution::make(DistKind::kGamma, kMean, 2.0), kMean, 2.0, "gamma-2");
}

TEST_CASE("erlang samples have the configured mean and cv (99.9% CI, n = 200000)", "[unit]") {
  check_moments(Distribution::make(DistKind::kErlang, kMean, 1.0), kMean, 1.0, "erlang-1");
  check_moments(Distribution::make(DistKind::kErlang, kMean, 0.5), kMean, 0.5, "erlang-4");
  // k = 50 phases goes through the gamma generator instead of a sum of exponentials.
  const double cv50 = 1 / std::sqrt(50.0);
  const Distribution d = Distribution::make(DistKind::kErlang, kMean, cv50);
  check_moments(d, kMean, cv50, "erlang-50");
}

TEST_CASE("empirical samples have the mean and cv of the sample set (99.9% CI, n = 200000)",
          "[unit]") {
  // Resampling uniformly reproduces the set's population moments: mean 4, sd sqrt(12.5).
  const Distribution d = Distribution::empirical({1e6, 2e6, 3e6, 10e6});
  CHECK(d.mean() == Approx(4e6));
  CHECK(d.cv() == Approx(std::sqrt(12.5) / 4));
  check_moments(d, d.mean(), d.cv(), "empirical");
}

TEST_CASE("empirical samples scaled to a mean keep their cv", "[unit]") {
  const Distribution d = Distribution::empirical({1e6, 2e6, 3e6, 10e6}, kMean);
  CHECK(d.mean() == Approx(kMean));
  CHECK(d.cv() == Approx(std::sqrt(12.5) / 4));
  CHECK(d.samples()[0] == Approx(1e7));
  check_moments(d, kMean, d.cv(), "empirical-scaled");
}

/// The message of the std::invalid_argument that make(kind, mean, cv) throws, or a note that
/// it threw nothing (or something else).
std::string rejection(DistKind kind, double cv) {
  try {
    Distribution::make(kind, kMean, cv);
  } catch (const std::invalid_argument& e) {
    return e.what();
  } catch (...) {
    return "<threw something other than std::invalid_argument>";
  }
  return "<accepted>";
}

TEST_CASE("impossible (kind, cv) pairs throw std::invalid_argument with a reason", "[unit]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(rejection(DistKind::kUniform, 0.6), Contains("1/sqrt(3)"));
  CHECK_THAT(rejection(DistKind::kErlang, 0.6), Contains("whole number of phases"));
  CHECK_THAT(rejection(DistKind::kErlang, 1.5), Contains("0 < cv <= 1"));
  CHECK_THAT(rejection(DistKind::kErlang, 0.0), Contains("0 < cv <= 1"));
  CHECK_THAT(rejection(DistKind::kExponential, 0.5), Contains("cv = 1"));
  CHECK_THAT(rejection(DistKind::kLognormal, 0.0), Contains("cv > 0"));
  CHECK_THAT(rejection(DistKind::kGamma, 0.0), Contains("cv > 0"));
  CHECK_THAT(rejection(DistKind::kDeterministic, 0.1), Contains("cv = 0"));
  CHECK_THAT(rejection(DistKind::kEmpirical, 1.0), Contains("samples"));
}

TEST_CASE("distributions reject a negative or non-finite mean or cv and bad empirical samples",
          "[unit]") {
  const double nan = std::nan("");
  const double inf = HUGE_VAL;
  CHECK_THROWS_AS(Distribution::make(DistKind::kGamma, -1.0, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::make(DistKind::kGamma, nan, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::make(DistKind::kGamma, inf, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::make(DistKind::kGamma, kMean, -0.5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::make(DistKind::kGamma, kMean, nan), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({1.0, -2.0}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({1.0, nan}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({0.0, 0.0}, kMean), std::invalid_argument);
}

TEST_CASE("distribution names round-trip through parse_dist_kind", "[unit]") {
  REQUIRE(dist_kind_names().size() == 7);
  for (const auto name : dist_kind_names()) {
    DistKind k;
    REQUIRE(parse_dist_kind(name, k));
    CHECK(dist_kind_name(k) == name);
  }
  DistKind k;
  CHECK_FALSE(parse_dist_kind("Exponential", k));
  CHECK_FALSE(parse_dist_kind("", k));
}

}  // namespace
}  // namespace servesim
