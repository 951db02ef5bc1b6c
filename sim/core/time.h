#pragma once
/// Simulated time: signed 64-bit integer nanoseconds, with unit helpers and the one rounding
/// helper.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace servesim {

using Time = std::int64_t;  // nanoseconds since the start of a run (or a duration in ns)

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kTimeMax = std::numeric_limits<Time>::max();

constexpr Time ns(std::int64_t v) { return v; }
constexpr Time us(std::int64_t v) { return v * kMicrosecond; }
constexpr Time ms(std::int64_t v) { return v * kMillisecond; }
constexpr Time seconds(std::int64_t v) { return v * kSecond; }

constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
constexpr double to_ms(Time t) { return static_cast<double>(t) * 1e-6; }

/// The one place doubles become time: nearest nanosecond, or nullopt when the value is NaN,
/// infinite or outside the int64 nanosecond range. Callers at the edges (config, curves,
/// distributions) decide what an out-of-range value means for them.
inline std::optional<Time> round_to_time(double nanoseconds) {
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(nanoseconds)) return std::nullopt;
  const double r = std::nearbyint(nanoseconds);
  if (r >= kLimit || r < -kLimit) return std::nullopt;
  return static_cast<Time>(r);
}

/// Service times drawn at run time: rounded to the nearest ns and clamped into [0, kTimeMax / 4]
/// so that one extreme sample from a heavy-tailed distribution cannot overflow the clock.
inline Time sample_to_time(double nanoseconds) {
  constexpr Time kMax = kTimeMax / 4;
  constexpr double kCap = static_cast<double>(kMax);
  if (!(nanoseconds > 0.0)) return 0;  // also maps NaN to 0
  if (nanoseconds >= kCap) return kMax;
  return static_cast<Time>(std::nearbyint(nanoseconds));
}

}  // namespace servesim
