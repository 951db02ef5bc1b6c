#pragma once
/// Means and Student-t confidence intervals over independent replications.

#include <span>

namespace servesim {

struct Estimate {
  double mean = 0;
  double lo = 0, hi = 0;  // two-sided interval at the requested level; lo == hi == mean if n < 2
  double half_width() const { return (hi - lo) / 2; }
  bool contains(double v) const { return lo <= v && v <= hi; }
};

/// Mean of `values` with a Student-t interval at `level` (e.g. 0.95), n - 1 degrees of freedom.
Estimate student_t_interval(std::span<const double> values, double level = 0.95);

}  // namespace servesim
