#pragma once
/// workload.schedule: an open workload's rate over time, as multiples of workload.rate. Arrivals
/// follow by time-rescaling: the arrival process runs at the base rate in *operational time*
/// u = Λ(t) = ∫0^t factor(s) ds, and each arrival at u happens at t = Λ⁻¹(u) (docs/model.md).

#include <cstddef>
#include <vector>

namespace servesim {

struct RateSchedule {
  enum class Shape { kStep, kLinear };
  Shape shape = Shape::kStep;
  /// Points in ascending time, the first at 0: step holds each factor until the next point;
  /// linear ramps between points. After the last point its factor holds.
  std::vector<double> at_ns;
  std::vector<double> factor;

  /// The factor at time t (ns, >= 0).
  double factor_at(double t_ns) const;
  /// The largest factor anywhere.
  double peak() const;
  /// Λ(t): operational ns elapsed by real time t (>= 0).
  double operational(double t_ns) const;
  /// Λ⁻¹(u): the first real time whose operational time reaches u (>= 0); a negative value when
  /// u is never reached (every factor from some point on is 0).
  double real_time(double u_ns) const;

  /// Where a search for Λ⁻¹ may start: a segment and Λ at its start. Arrivals ask for growing u,
  /// so a caller that keeps one walks each segment once, not once per arrival.
  struct Cursor {
    std::size_t segment = 0;
    double start_u = 0;
  };
  /// As real_time(u), from `c` (which must not be past u), moving `c` to u's segment.
  double real_time(double u_ns, Cursor& c) const;
};

}  // namespace servesim
