#include "sim/metrics/histogram.h"

#include <algorithm>

namespace servesim {

namespace {
const double kGamma =
    (1 + LatencyHistogram::kRelativeError) / (1 - LatencyHistogram::kRelativeError);
const double kLogGamma = std::log(kGamma);
}  // namespace

std::size_t LatencyHistogram::bucket_of(Time value) {
  if (value <= 1) return 0;
  const auto i =
      static_cast<std::size_t>(std::ceil(std::log(static_cast<double>(value)) / kLogGamma));
  return std::min(i, kBuckets - 1);
}

double LatencyHistogram::value_of(std::size_t bucket) {
  if (bucket == 0) return 1.0;
  return 2.0 * std::exp(static_cast<double>(bucket) * kLogGamma) / (kGamma + 1.0);
}

void LatencyHistogram::record(Time value) {
  ++counts_[bucket_of(value)];
  ++count_;
  sum_ += static_cast<double>(value);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  if (q >= 1.0) return static_cast<double>(max_);
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      // Never report outside the observed range (the midpoint of the extreme buckets may be).
      return std::clamp(value_of(i), static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace servesim
