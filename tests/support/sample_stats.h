#pragma once
/// Sample mean and cv of a batch of draws, with confidence half-widths, for statistical tests.

#include <cmath>
#include <vector>

namespace servesim::test {

struct SampleEstimate {
  double mean, mean_half;
  double cv, cv_half;
};

/// Half-widths are z standard errors. The mean's is z * s / sqrt(n). The cv's comes from the
/// delta method: with central moments m2, m3, m4 and mean mu, the sample cv = sqrt(m2) / mu is a
/// smooth function of the first two raw moments, whose covariance is known from m2..m4;
/// linearising gives
///   Var(cv_hat) ~= cv^2 / n * ( m2 / mu^2 - m3 / (mu m2) + (m4 - m2^2) / (4 m2^2) ),
/// (for a normal sample, the textbook cv^2 (cv^2 + 1/2) / n). For the n ~ 1e5 draws the tests
/// take, the estimator's O(1/n) bias is far inside the interval.
inline SampleEstimate estimate(const std::vector<double>& x, double z) {
  const double n = static_cast<double>(x.size());
  double mu = 0;
  for (const double v : x) mu += v;
  mu /= n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (const double v : x) {
    const double d = v - mu;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  SampleEstimate e{};
  e.mean = mu;
  e.mean_half = z * std::sqrt(m2 * n / (n - 1)) / std::sqrt(n);
  e.cv = std::sqrt(m2) / mu;
  const double var_cv =
      e.cv * e.cv / n * (m2 / (mu * mu) - m3 / (mu * m2) + (m4 - m2 * m2) / (4 * m2 * m2));
  e.cv_half = z * std::sqrt(var_cv);
  return e;
}

}  // namespace servesim::test
