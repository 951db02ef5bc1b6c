#pragma once
/// Service-time and inter-arrival distributions, each set by its mean and coefficient of variation.

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/random.h"

namespace servesim {

enum class DistKind {
  kExponential,
  kDeterministic,
  kUniform,
  kLognormal,
  kGamma,
  kErlang,
  kEmpirical
};

/// Name as written in configs ("exponential", ...); the inverse is parse_dist_kind.
std::string_view dist_kind_name(DistKind k);
bool parse_dist_kind(std::string_view name, DistKind& out);
std::span<const std::string_view> dist_kind_names();

/// A distribution of non-negative values in any unit (servesim uses nanoseconds).
/// Sampling uses our own inverse CDFs and generators only, so a seed gives the same numbers
/// with any C++ standard library.
class Distribution {
 public:
  /// Builds `kind` with the given mean and cv. Throws std::invalid_argument with a message meant
  /// for the user when the pair is impossible for the kind (e.g. uniform with cv > 1/sqrt(3),
  /// erlang whose 1/cv^2 is not an integer, exponential with cv != 1).
  static Distribution make(DistKind kind, double mean, double cv);
  /// Resamples `samples` (uniformly among them); if mean > 0 they are scaled to that mean.
  static Distribution empirical(std::vector<double> samples, double mean = 0.0);

  double sample(Rng& rng) const {
    // Exponential is by far the most common draw (every Poisson arrival): keep it inline.
    if (kind_ == DistKind::kExponential) return -mean_ * std::log(rng.uniform01());
    return sample_other(rng);
  }
  double mean() const { return mean_; }
  double cv() const { return cv_; }
  DistKind kind() const { return kind_; }
  std::span<const double> samples() const { return samples_; }

  /// cv a kind has whatever the caller asks (exponential 1, deterministic 0), or -1 if free.
  static double implied_cv(DistKind kind);

 private:
  double sample_other(Rng& rng) const;
  DistKind kind_ = DistKind::kDeterministic;
  double mean_ = 0, cv_ = 0;
  double p1_ = 0, p2_ = 0;  // kind-specific parameters (see make())
  int k_ = 1;               // erlang phases
  std::vector<double> samples_;
};

/// Standard normal by the polar Box-Muller method (our own; std::normal_distribution differs
/// between libraries).
double standard_normal(Rng& rng);
/// Gamma(shape, scale=1) by Marsaglia & Tsang (2000), with the shape<1 boost U^(1/shape).
double standard_gamma(Rng& rng, double shape);

}  // namespace servesim
