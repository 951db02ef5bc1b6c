#pragma once
/// Service-time and inter-arrival distributions, each set by its mean and coefficient of variation.

#include <bit>
#include <cmath>
#include <cstddef>
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

namespace detail {

/// A 256-layer ziggurat (Marsaglia & Tsang, "The ziggurat method for generating random
/// variables", 2000) for a decreasing density f on [0, inf) with f(0) = 1. Layer i is the
/// rectangle [0, x[i]] x [f(x[i]), f(x[i+1])] for 1 <= i < 256, with x[256] = 0; layer 0 is the
/// base strip [0, x[0]] x [0, f(r)], r = x[1], whose part beyond r stands for the tail. All 256
/// have the same area v, so a draw picks a layer with 8 random bits and a point in it with 53:
/// a point left of x[i+1] is under the curve (accepted at once, ~98% of draws); the others take
/// the wedge test or the tail (standard_*_slow). The tables are computed at compile time with
/// our own arithmetic (distribution.cpp), so they are the same bits on every platform.
struct Ziggurat {
  static constexpr int kLayers = 256;
  double x[kLayers + 1];         // x[0] = v / f(r), x[1] = r > x[2] > ... > x[256] = 0
  double f[kLayers + 1];         // f(x[i]) for i >= 1 (f[256] = 1); f[0] = 0
  double scale[kLayers];         // x[i] * 2^-53: the 53-bit integer j is the point j * scale[i]
  std::uint64_t inner[kLayers];  // j < inner[i] exactly when j * scale[i] < x[i+1] (accept)
};
extern const Ziggurat kNormalZiggurat;       // f(x) = exp(-x^2 / 2)
extern const Ziggurat kExponentialZiggurat;  // f(x) = exp(-x)

/// The rest of a draw whose first 64 random bits `bits` missed the inner rectangles.
double standard_normal_slow(Rng& rng, std::uint64_t bits);
double standard_exponential_slow(Rng& rng, std::uint64_t bits);

}  // namespace detail

/// Standard normal by a 256-layer ziggurat (our own; std::normal_distribution differs between
/// libraries). One 64-bit draw makes 98.5% of variates: bits 0-7 pick the layer, bit 8 the sign,
/// bits 11-63 the point.
inline double standard_normal(Rng& rng) {
  const std::uint64_t bits = rng.next();
  const auto layer = static_cast<std::size_t>(bits & 0xff);
  const std::uint64_t j = bits >> 11;
  if (j < detail::kNormalZiggurat.inner[layer]) {
    const double x = static_cast<double>(j) * detail::kNormalZiggurat.scale[layer];
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ ((bits & 0x100) << 55));
  }
  return detail::standard_normal_slow(rng, bits);
}

/// Exponential with mean 1 by a 256-layer ziggurat: one 64-bit draw and no log() for 97.8% of
/// variates (bits 0-7 pick the layer, bits 11-63 the point).
inline double standard_exponential(Rng& rng) {
  const std::uint64_t bits = rng.next();
  const auto layer = static_cast<std::size_t>(bits & 0xff);
  const std::uint64_t j = bits >> 11;
  if (j < detail::kExponentialZiggurat.inner[layer])
    return static_cast<double>(j) * detail::kExponentialZiggurat.scale[layer];
  return detail::standard_exponential_slow(rng, bits);
}

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
    if (kind_ == DistKind::kExponential) return mean_ * standard_exponential(rng);
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

/// Gamma(shape, scale=1) by Marsaglia & Tsang (2000), with the shape<1 boost U^(1/shape).
double standard_gamma(Rng& rng, double shape);

}  // namespace servesim
