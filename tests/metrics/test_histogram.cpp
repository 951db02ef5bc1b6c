#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/metrics/confidence.h"
#include "sim/metrics/histogram.h"

namespace servesim {

TEST_CASE("histogram percentiles are within 0.5% of the exact order statistics", "[unit]") {
  Rng rng(42);
  // Heavy-tailed values spanning ~6 decades, as latencies do under load.
  const Distribution d = Distribution::make(DistKind::kLognormal, 5e6, 3.0);
  std::vector<Time> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const Time v = std::max<Time>(1, sample_to_time(d.sample(rng)));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (const double q : {0.001, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    INFO("q = " << q << ": exact " << exact << ", histogram " << h.quantile(q));
    CHECK(std::abs(h.quantile(q) - exact) <= LatencyHistogram::kRelativeError * exact);
  }
  CHECK(h.quantile(1.0) == static_cast<double>(values.back()));
  CHECK(h.count() == values.size());
}

TEST_CASE("histogram memory does not depend on how many values it holds", "[unit]") {
  // A fixed array and a few counters: no heap, so recording never allocates.
  STATIC_REQUIRE(std::is_trivially_copyable_v<LatencyHistogram>);
  LatencyHistogram a, b;
  a.record(1);
  a.record(kTimeMax / 4);  // the largest service time servesim can draw
  b.record(0);
  a.merge(b);
  CHECK(a.count() == 3);
  CHECK(a.quantile(1.0) == static_cast<double>(kTimeMax / 4));
  CHECK(a.quantile(0.01) <= 1.0);  // values of 0 and 1 ns share the first bucket
}

TEST_CASE("histogram buckets from the exponent and the slice table equal ceil(log(v) / log(g))",
          "[unit]") {
  // record() uses bucket_of; the definition is reference_bucket_of. A Time is an integer, so
  // there are no subnormals, infinities or NaNs to meet: 0, negatives, 1 and the int64 extremes
  // stand for the edges.
  std::int64_t checked = 0, mismatched = 0;
  Time first_mismatch = 0;
  const auto same = [&](Time v) {
    ++checked;
    if (LatencyHistogram::bucket_of(v) != LatencyHistogram::reference_bucket_of(v) &&
        mismatched++ == 0)
      first_mismatch = v;
  };
  for (const Time v : {std::numeric_limits<Time>::min(), Time{-1}, Time{0}, Time{1}, Time{2},
                       Time{3}, (Time{1} << 53) - 1, Time{1} << 53, (Time{1} << 53) + 1,
                       Time{1} << 62, kTimeMax / 4, kTimeMax - 1, kTimeMax})
    same(v);
  CHECK(LatencyHistogram::bucket_of(0) == 0);
  CHECK(LatencyHistogram::bucket_of(kTimeMax) < LatencyHistogram::kBuckets);
  // Every integer up to 2e6 (the first ~1,450 buckets).
  for (Time v = -10; v <= 2'000'000; ++v) same(v);
  // Both sides of every bucket boundary g^b that an int64 reaches, where a formula off by one
  // ulp would show.
  const double g = (1 + LatencyHistogram::kRelativeError) / (1 - LatencyHistogram::kRelativeError);
  for (std::size_t b = 1; b < LatencyHistogram::kBuckets; ++b) {
    const double edge = std::exp(static_cast<double>(b) * std::log(g));
    if (edge >= 0x1.0p62) break;
    const auto v = static_cast<Time>(edge);
    for (Time d = -3; d <= 3; ++d) same(v + d);
    // Above 2^53 neighbouring integers share a double: step by its spacing too.
    const auto ulp = static_cast<Time>(std::nextafter(edge, 2 * edge) - edge);
    for (Time d = -3; d <= 3; ++d) same(v + d * std::max<Time>(ulp, 1));
  }
  // 2e6 random values, uniform in log scale over the whole int64 range.
  Rng rng(2026);
  for (int i = 0; i < 2'000'000; ++i) {
    const auto v = static_cast<Time>(rng.next() >> (1 + rng.below(63)));
    same(v);
  }
  INFO(checked << " values, " << mismatched << " in another bucket, the first " << first_mismatch);
  CHECK(mismatched == 0);
  CHECK(checked > 4'000'000);
}

TEST_CASE("Student-t interval matches the textbook value for n = 5", "[unit]") {
  // mean 3, sd sqrt(2.5), t(0.975, 4) = 2.776445
  const std::vector<double> v = {1, 2, 3, 4, 5};
  const Estimate e = student_t_interval(v);
  CHECK(e.mean == Approx(3.0));
  CHECK(e.half_width() == Approx(2.776445 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  const std::vector<double> one = {7};
  CHECK(student_t_interval(one).half_width() == 0.0);
}

}  // namespace servesim
