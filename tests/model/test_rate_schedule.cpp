// workload.schedule's time-rescaling, worked out by hand: Λ(t) = ∫0^t factor, and its inverse
// for step and linear schedules, zero-rate stretches and a rate that ends.

#include <catch2/catch.hpp>

#include <cmath>

#include "sim/model/rate_schedule.h"

namespace servesim {
namespace {

constexpr double kMs = 1e6;

RateSchedule schedule(RateSchedule::Shape shape, const std::vector<double>& at_ms,
                      std::vector<double> factor) {
  RateSchedule s;
  s.shape = shape;
  for (const double a : at_ms) s.at_ns.push_back(a * kMs);
  s.factor = std::move(factor);
  return s;
}

}  // namespace

TEST_CASE("rate schedule: a step doubles the rate at 10 ms", "[unit]") {
  const RateSchedule s = schedule(RateSchedule::Shape::kStep, {0, 10}, {1, 2});
  CHECK(s.factor_at(5 * kMs) == 1);
  CHECK(s.factor_at(10 * kMs) == 2);
  CHECK(s.peak() == 2);
  // Λ(t) = t up to 10 ms, then 10 ms + 2 (t - 10 ms).
  CHECK(s.operational(4 * kMs) == Approx(4 * kMs));
  CHECK(s.operational(13 * kMs) == Approx(16 * kMs));
  CHECK(s.real_time(10 * kMs) == Approx(10 * kMs));
  CHECK(s.real_time(11 * kMs) == Approx(10.5 * kMs));
  CHECK(s.real_time(16 * kMs) == Approx(13 * kMs));
}

TEST_CASE("rate schedule: a linear ramp from 1 to 3 over 10 ms", "[unit]") {
  const RateSchedule s = schedule(RateSchedule::Shape::kLinear, {0, 10}, {1, 3});
  CHECK(s.factor_at(5 * kMs) == Approx(2));
  CHECK(s.factor_at(20 * kMs) == 3);  // the last factor holds
  // In ms: Λ(t) = t + 0.1 t² on [0, 10] (20 ms at 10), then 20 + 3 (t - 10).
  CHECK(s.operational(5 * kMs) == Approx(7.5 * kMs));
  CHECK(s.operational(12 * kMs) == Approx(26 * kMs));
  // Λ(t) = 2 ms: 0.1 t² + t - 2 = 0, t = (-1 + sqrt(1.8)) / 0.2 = 1.7082039 ms.
  CHECK(s.real_time(2 * kMs) == Approx(1.7082039325 * kMs).epsilon(1e-9));
  CHECK(s.real_time(26 * kMs) == Approx(12 * kMs));
  for (const double t : {0.3, 4.0, 9.99, 10.0, 17.5})
    CHECK(s.real_time(s.operational(t * kMs)) == Approx(t * kMs).epsilon(1e-12));
}

TEST_CASE("rate schedule: nothing arrives while the factor is 0", "[unit]") {
  // 1 until 10 ms, 0 until 20 ms, 1 after: an arrival due at Λ = 10.5 ms comes at 20.5 ms.
  const RateSchedule s = schedule(RateSchedule::Shape::kStep, {0, 10, 20}, {1, 0, 1});
  CHECK(s.real_time(10.5 * kMs) == Approx(20.5 * kMs));
  CHECK(s.operational(15 * kMs) == Approx(10 * kMs));
  // A ramp down to 0 at 10 ms that stays there: Λ stops at 5 ms.
  const RateSchedule end = schedule(RateSchedule::Shape::kLinear, {0, 10}, {1, 0});
  CHECK(end.operational(30 * kMs) == Approx(5 * kMs));
  // Λ(t) = t - t²/20 = 3.75 ms at t = 5 ms.
  CHECK(end.real_time(3.75 * kMs) == Approx(5 * kMs));
  CHECK(end.real_time(5.5 * kMs) < 0);  // never: the rate is 0 from 10 ms on
}

}  // namespace servesim
