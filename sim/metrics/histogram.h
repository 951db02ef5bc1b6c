#pragma once
/// Streaming log-bucketed histogram of positive durations: percentiles with relative error
/// <= 0.5% in fixed memory, however many values are recorded.

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

class LatencyHistogram {
 public:
  /// Bucket i holds values in (g^(i-1), g^i] ns with g = (1+a)/(1-a), a = 0.005; reporting the
  /// bucket's midpoint 2 g^i / (g + 1) is then within a of every value in it. Values of 1 ns and
  /// below share bucket 0; 2^63 ns needs ~4.4k buckets, so the array is fixed at that.
  /// The definition is reference_bucket_of, ceil(log(v) / log(g)); record() finds the same
  /// bucket without log() (bucket_of: the double's exponent and a table per octave).
  static constexpr double kRelativeError = 0.005;
  static constexpr std::size_t kBuckets = 4400;

  void record(Time value);
  /// The bucket of `value`: reference_bucket_of(value), from a table lookup and one comparison.
  static std::size_t bucket_of(Time value);
  /// The definition of the buckets, by log(); kept for the tests and to build the table.
  static std::size_t reference_bucket_of(Time value);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  Time min() const { return min_; }
  Time max() const { return max_; }
  double sum() const { return sum_; }
  /// The q-quantile (0 < q <= 1): the smallest bucket value v with P(X <= v) >= q, exact max
  /// for q = 1. Returns 0 when empty.
  double quantile(double q) const;

 private:
  friend class WindowHistogram;
  static double value_of(std::size_t bucket);
  /// The q-quantile of counts[0..n) standing for buckets lo.., clamped to [min, max].
  static double quantile_of(const std::uint64_t* counts, std::size_t lo, std::size_t n,
                            std::uint64_t count, double q, Time min, Time max);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
  Time min_ = kTimeMax, max_ = 0;
};

/// LatencyHistogram's buckets over only the range its values span, for the many short windows of
/// a time series (a window's latencies span a few hundred buckets, not 4,400).
class WindowHistogram {
 public:
  void record(Time value);
  void merge(const WindowHistogram& other);
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  /// As LatencyHistogram::quantile, bucket for bucket.
  double quantile(double q) const;

 private:
  std::size_t lo_ = 0;  // the bucket of counts_[0]
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  Time min_ = kTimeMax, max_ = 0;
  void add(std::size_t bucket, std::uint64_t n);
};

}  // namespace servesim
