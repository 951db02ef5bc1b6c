#include "sim/model/rate_schedule.h"

#include <algorithm>
#include <cmath>

namespace servesim {

namespace {

/// Operational time over [0, x] of a segment whose factor runs linearly from f0 by `slope` per ns
/// (slope 0 for a step): f0 x + slope x² / 2.
double area(double f0, double slope, double x) { return x * (f0 + 0.5 * slope * x); }

}  // namespace

double RateSchedule::factor_at(double t_ns) const {
  const auto next = std::upper_bound(at_ns.begin(), at_ns.end(), t_ns);
  const auto i = static_cast<std::size_t>(next - at_ns.begin()) - 1;  // at_ns[0] = 0 <= t
  if (shape == Shape::kStep || i + 1 == at_ns.size()) return factor[i];
  const double w = (t_ns - at_ns[i]) / (at_ns[i + 1] - at_ns[i]);
  return factor[i] + w * (factor[i + 1] - factor[i]);
}

double RateSchedule::peak() const { return *std::max_element(factor.begin(), factor.end()); }

double RateSchedule::operational(double t_ns) const {
  double u = 0;
  for (std::size_t i = 0; i < at_ns.size(); ++i) {
    const bool last = i + 1 == at_ns.size();
    const double end = last ? t_ns : std::min(t_ns, at_ns[i + 1]);
    const double slope = (shape == Shape::kStep || last)
                             ? 0
                             : (factor[i + 1] - factor[i]) / (at_ns[i + 1] - at_ns[i]);
    u += area(factor[i], slope, end - at_ns[i]);
    if (last || t_ns <= at_ns[i + 1]) break;
  }
  return u;
}

double RateSchedule::real_time(double u_ns) const {
  Cursor c;
  return real_time(u_ns, c);
}

double RateSchedule::real_time(double u_ns, Cursor& c) const {
  double u = c.start_u;  // operational time at the start of segment i
  for (std::size_t i = c.segment; i < at_ns.size(); ++i) {
    c = {i, u};
    const bool last = i + 1 == at_ns.size();
    const double f0 = factor[i];
    const double slope =
        (shape == Shape::kStep || last) ? 0 : (factor[i + 1] - f0) / (at_ns[i + 1] - at_ns[i]);
    const double full = last ? INFINITY : area(f0, slope, at_ns[i + 1] - at_ns[i]);
    if (u_ns <= u + full) {
      const double need = u_ns - u;  // >= 0
      if (need <= 0) return at_ns[i];
      if (slope == 0) return f0 > 0 ? at_ns[i] + need / f0 : -1;
      // f0 x + slope x² / 2 = need, the root in the segment; this form keeps its precision
      // when slope is small against f0 (no difference of near-equal terms).
      const double disc = std::max(0.0, f0 * f0 + 2 * slope * need);
      return at_ns[i] + 2 * need / (f0 + std::sqrt(disc));
    }
    u += full;
  }
  return -1;  // not reached: the last segment is unbounded
}

}  // namespace servesim
