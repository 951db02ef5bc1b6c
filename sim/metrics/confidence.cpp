#include "sim/metrics/confidence.h"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace servesim {

Estimate student_t_interval(std::span<const double> values, double level) {
  Estimate e;
  const std::size_t n = values.size();
  if (n == 0) return e;
  double sum = 0;
  for (const double v : values) sum += v;
  e.mean = sum / static_cast<double>(n);
  e.lo = e.hi = e.mean;
  if (n < 2) return e;
  double ss = 0;
  for (const double v : values) ss += (v - e.mean) * (v - e.mean);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  const boost::math::students_t t(static_cast<double>(n - 1));
  const double q = boost::math::quantile(boost::math::complement(t, (1 - level) / 2));
  const double h = q * sd / std::sqrt(static_cast<double>(n));
  e.lo = e.mean - h;
  e.hi = e.mean + h;
  return e;
}

}  // namespace servesim
