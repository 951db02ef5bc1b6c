#include "sim/core/distribution.h"

#include <array>
#include <bit>
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

namespace detail {
namespace {

// Our own exp, log and sqrt for the tables, evaluated by the compiler: IEEE arithmetic with no
// library call, so the tables do not depend on the platform's libm. Accurate to a few ulps, which
// is far below what the ziggurat needs (its layers' areas only have to be equal to ~1e-12).
constexpr double kLn2Hi = 0x1.62e42fee00000p-1;  // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi * k exact
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

constexpr double ce_exp(double x) {
  // k near x / ln 2 (std::lround is not constexpr; any nearby integer reduces x well enough).
  const double t = x / (kLn2Hi + kLn2Lo);
  const int k = t >= 0 ? static_cast<int>(t + 0.5)     // NOLINT(bugprone-incorrect-roundings)
                       : -static_cast<int>(-t + 0.5);  // NOLINT(bugprone-incorrect-roundings)
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;      // |r| <= ln2 / 2
  double sum = 1, term = 1;
  for (int n = 1; n <= 27; ++n) {
    term *= r / n;
    sum += term;
  }
  for (int i = 0; i < k; ++i) sum *= 2;
  for (int i = 0; i < -k; ++i) sum *= 0.5;
  return sum;
}

constexpr double ce_log(double y) {  // y > 0
  constexpr double kSqrt2 = 1.4142135623730951;
  int e = 0;
  double m = y;
  for (; m > kSqrt2; ++e) m *= 0.5;
  for (; m < kSqrt2 / 2; --e) m *= 2;
  const double s = (m - 1) / (m + 1);  // log m = 2 atanh s, |s| <= 0.172
  double sum = 0, term = s;
  for (int n = 1; n <= 61; n += 2) {
    sum += term / n;
    term *= s * s;
  }
  return 2 * sum + e * kLn2Hi + e * kLn2Lo;
}

constexpr double ce_sqrt(double a) {  // a >= 0; Newton from above decreases to the root
  if (a == 0) return 0;
  double g = a > 1 ? a : 1;
  for (int i = 0; i < 200; ++i) {
    const double next = 0.5 * (g + a / g);
    if (next >= g) break;
    g = next;
  }
  return g;
}

/// The ziggurat for density f (f(0) = 1, decreasing) with inverse finv, given the right edge r
/// of the base strip and the common area v of the layers: the pair for which the recurrence
/// x[i+1] = finv(f(x[i]) + v / x[i]) reaches the top with its last layer of area v too.
template <class F, class FInv>
constexpr Ziggurat build_ziggurat(double r, double v, F f, FInv finv) {
  constexpr int n = Ziggurat::kLayers;
  Ziggurat z{};
  z.x[0] = v / f(r);
  z.x[1] = r;
  for (int i = 1; i < n - 1; ++i) z.x[i + 1] = finv(f(z.x[i]) + v / z.x[i]);
  z.x[n] = 0;
  z.f[0] = 0;
  for (int i = 1; i < n; ++i) z.f[i] = f(z.x[i]);
  z.f[n] = 1;
  for (int i = 0; i < n; ++i) {
    z.scale[i] = z.x[i] * 0x1.0p-53;
    // The largest count of 53-bit points j with j * scale[i] < x[i+1], as computed at run time.
    auto inner = static_cast<std::uint64_t>(z.x[i + 1] / z.x[i] * 0x1.0p53);
    while (inner > 0 && static_cast<double>(inner - 1) * z.scale[i] >= z.x[i + 1]) --inner;
    while (static_cast<double>(inner) * z.scale[i] < z.x[i + 1]) ++inner;
    z.inner[i] = inner;
  }
  return z;
}

// r and v solve the top-layer condition x[255] (1 - f(x[255])) = v with
// v = r f(r) + integral of f from r to infinity (computed to 40 digits for 256 layers).
constexpr double kNormalR = 3.6541528853610088;
constexpr double kNormalV = 0.0049286732339746553;
constexpr double kExponentialR = 7.6971174701310497;
constexpr double kExponentialV = 0.0039496598225815572;

}  // namespace

constinit const Ziggurat kNormalZiggurat = build_ziggurat(
    kNormalR, kNormalV, [](double x) { return ce_exp(-0.5 * x * x); },
    [](double y) { return ce_sqrt(-2 * ce_log(y)); });
constinit const Ziggurat kExponentialZiggurat = build_ziggurat(
    kExponentialR, kExponentialV, [](double x) { return ce_exp(-x); },
    [](double y) { return -ce_log(y); });

double standard_normal_slow(Rng& rng, std::uint64_t bits) {
  const Ziggurat& z = kNormalZiggurat;
  for (;; bits = rng.next()) {
    const auto layer = static_cast<std::size_t>(bits & 0xff);
    const std::uint64_t j = bits >> 11;
    double x = static_cast<double>(j) * z.scale[layer];
    if (j >= z.inner[layer]) {
      if (layer == 0) {
        // The tail beyond r (Marsaglia, 1964): r + t with t = E1 / r, kept when 2 E2 > t^2.
        double t = 0, e = 0;
        do {
          t = -std::log(rng.uniform01()) / kNormalR;
          e = -std::log(rng.uniform01());
        } while (2 * e <= t * t);
        x = kNormalR + t;
      } else {
        // The wedge: a uniform height in the layer, kept when it is under the curve.
        const double y = z.f[layer] + rng.uniform01() * (z.f[layer + 1] - z.f[layer]);
        if (!(y < std::exp(-0.5 * x * x))) continue;
      }
    }
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ ((bits & 0x100) << 55));
  }
}

double standard_exponential_slow(Rng& rng, std::uint64_t bits) {
  const Ziggurat& z = kExponentialZiggurat;
  for (;; bits = rng.next()) {
    const auto layer = static_cast<std::size_t>(bits & 0xff);
    const std::uint64_t j = bits >> 11;
    const double x = static_cast<double>(j) * z.scale[layer];
    if (j < z.inner[layer]) return x;
    // Beyond r the exponential is r plus an exponential (it has no memory).
    if (layer == 0) return kExponentialR - std::log(rng.uniform01());
    const double y = z.f[layer] + rng.uniform01() * (z.f[layer + 1] - z.f[layer]);
    if (y < std::exp(-x)) return x;
  }
}

}  // namespace detail

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
      return mean_ * standard_exponential(rng);
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
      double sum = 0.0;
      for (int i = 0; i < k_; ++i) sum += standard_exponential(rng);
      return p2_ * sum;
    }
    case DistKind::kEmpirical:
      return samples_[rng.below(samples_.size())];
  }
  return 0.0;
}

}  // namespace servesim
