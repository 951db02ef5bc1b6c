#include "sim/core/distribution.h"

#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "sim/core/format.h"

namespace servesim {

namespace {
constexpr std::array<std::string_view, 7> kNames = {
    "exponential", "deterministic", "uniform", "lognormal", "gamma", "erlang", "empirical"};

std::string fmt(double v) { return format("%g", v); }

}  // namespace

std::string_view dist_kind_name(DistKind k) { return kNames[static_cast<std::size_t>(k)]; }
std::span<const std::string_view> dist_kind_names() { return kNames; }

bool parse_dist_kind(std::string_view name, DistKind& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      out = static_cast<DistKind>(i);
      return true;
    }
  }
  return false;
}

double Distribution::implied_cv(DistKind kind) {
  switch (kind) {
    case DistKind::kExponential:
      return 1.0;
    case DistKind::kDeterministic:
      return 0.0;
    default:
      return -1.0;
  }
}

Distribution Distribution::make(DistKind kind, double mean, double cv) {
  if (!(mean >= 0.0) || !std::isfinite(mean))
    throw std::invalid_argument("mean must be finite and >= 0");
  if (!(cv >= 0.0) || !std::isfinite(cv)) throw std::invalid_argument("cv must be finite and >= 0");
  Distribution d;
  d.kind_ = kind;
  d.mean_ = mean;
  d.cv_ = cv;
  switch (kind) {
    case DistKind::kExponential:
      if (cv != 1.0)
        throw std::invalid_argument("an exponential distribution has cv = 1 (got " + fmt(cv) +
                                    "); use gamma or lognormal for another cv");
      break;
    case DistKind::kDeterministic:
      if (cv != 0.0)
        throw std::invalid_argument("a deterministic distribution has cv = 0 (got " + fmt(cv) +
                                    ")");
      break;
    case DistKind::kUniform: {
      // U(a, b): mean (a+b)/2, sd (b-a)/sqrt(12); a >= 0 requires cv <= 1/sqrt(3).
      const double half = mean * cv * std::sqrt(3.0);
      if (half > mean * (1 + 1e-12))
        throw std::invalid_argument(
            "a non-negative uniform distribution needs cv <= 0.577 (1/sqrt(3)), got " + fmt(cv));
      d.p1_ = std::max(0.0, mean - half);
      d.p2_ = 2 * half;
      break;
    }
    case DistKind::kLognormal:
      // sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
      if (cv <= 0.0) throw std::invalid_argument("a lognormal distribution needs cv > 0");
      d.p2_ = std::sqrt(std::log1p(cv * cv));
      d.p1_ = std::log(mean) - 0.5 * d.p2_ * d.p2_;
      break;
    case DistKind::kGamma:
      // shape k = 1/cv^2, scale theta = mean * cv^2.
      if (cv <= 0.0) throw std::invalid_argument("a gamma distribution needs cv > 0");
      d.p1_ = 1.0 / (cv * cv);
      d.p2_ = mean * cv * cv;
      break;
    case DistKind::kErlang: {
      if (cv <= 0.0 || cv > 1.0)
        throw std::invalid_argument("an erlang distribution needs 0 < cv <= 1, got " + fmt(cv));
      const double k = 1.0 / (cv * cv);
      const double kr = std::round(k);
      if (std::abs(k - kr) > 1e-6 * kr)
        throw std::invalid_argument(
            "an erlang distribution needs 1/cv^2 to be a whole number of phases; cv = " + fmt(cv) +
            " gives " + fmt(k) + " (try cv = " + fmt(1 / std::sqrt(kr)) + " for k = " + fmt(kr) +
            ", or use gamma)");
      d.k_ = static_cast<int>(kr);
      d.p2_ = mean / kr;  // phase mean
      break;
    }
    case DistKind::kEmpirical:
      throw std::invalid_argument("an empirical distribution is built from samples");
  }
  return d;
}

Distribution Distribution::empirical(std::vector<double> samples, double mean) {
  if (samples.empty())
    throw std::invalid_argument("an empirical distribution needs at least one sample");
  for (const double s : samples)
    if (!(s >= 0.0) || !std::isfinite(s))
      throw std::invalid_argument("empirical samples must be finite and >= 0");
  const double n = static_cast<double>(samples.size());
  double m = std::accumulate(samples.begin(), samples.end(), 0.0) / n;
  if (mean > 0.0) {
    if (m <= 0.0) throw std::invalid_argument("cannot scale all-zero samples to a mean");
    for (double& s : samples) s *= mean / m;
    m = mean;
  }
  double ss = 0;
  for (const double s : samples) ss += (s - m) * (s - m);
  Distribution d;
  d.kind_ = DistKind::kEmpirical;
  d.mean_ = m;
  d.cv_ = m > 0 ? std::sqrt(ss / n) / m : 0.0;
  d.samples_ = std::move(samples);
  return d;
}

double standard_normal(Rng& rng) {
  // Polar method; the second variate is discarded so that the stream stays stateless.
  for (;;) {
    const double u = 2 * rng.uniform01() - 1;
    const double v = 2 * rng.uniform01() - 1;
    const double s = u * u + v * v;
    if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
  }
}

double standard_gamma(Rng& rng, double shape) {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a+1) * U^(1/a)
    const double g = standard_gamma(rng, shape + 1.0);
    return g * std::pow(rng.uniform01(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform01();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double Distribution::sample_other(Rng& rng) const {
  switch (kind_) {
    case DistKind::kExponential:
      return -mean_ * std::log(rng.uniform01());
    case DistKind::kDeterministic:
      return mean_;
    case DistKind::kUniform:
      return p1_ + p2_ * rng.uniform01();
    case DistKind::kLognormal:
      return std::exp(p1_ + p2_ * standard_normal(rng));
    case DistKind::kGamma:
      return p2_ * standard_gamma(rng, p1_);
    case DistKind::kErlang: {
      if (k_ > 32) return p2_ * standard_gamma(rng, k_);
      double sum = 0.0;  // a sum of logs, not a product that could underflow
      for (int i = 0; i < k_; ++i) sum -= std::log(rng.uniform01());
      return p2_ * sum;
    }
    case DistKind::kEmpirical:
      return samples_[rng.below(samples_.size())];
  }
  return 0.0;
}

}  // namespace servesim
