#pragma once
/// Time integral of a piecewise-constant quantity (busy servers, requests in system).

#include "sim/core/time.h"

namespace servesim {

class TimeIntegral {
 public:
  /// The quantity changes to `value` at time `now`.
  void set(Time now, double value) {
    area_ += value_ * static_cast<double>(now - last_);
    last_ = now;
    value_ = value;
  }
  void add(Time now, double delta) { set(now, value_ + delta); }
  /// Integral from time 0 to `now`, in value x nanoseconds.
  double area(Time now) const { return area_ + value_ * static_cast<double>(now - last_); }
  double value() const { return value_; }

 private:
  double area_ = 0.0;
  double value_ = 0.0;
  Time last_ = 0;
};

}  // namespace servesim
