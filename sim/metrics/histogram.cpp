#include "sim/metrics/histogram.h"

#include <algorithm>
#include <bit>

namespace servesim {

namespace {
const double kGamma =
    (1 + LatencyHistogram::kRelativeError) / (1 - LatencyHistogram::kRelativeError);
const double kLogGamma = std::log(kGamma);

/// The bucket of a double d >= 2 by the definition (d is a Time converted to double).
std::size_t bucket_by_log(double d) {
  const auto i = static_cast<std::size_t>(std::ceil(std::log(d) / kLogGamma));
  return std::min(i, LatencyHistogram::kBuckets - 1);
}

// A positive double's bits, read as an integer, grow with it: the top 12 bits are the exponent
// (the octave), and the next 7 split the octave into 128 slices. A slice spans a ratio of at most
// 1 + 1/128 < g, so at most one bucket boundary falls inside it: a slice's entry is the bucket of
// its first value and where, in its low 45 bits, the next bucket begins (2^45: not in it).
constexpr int kSliceShift = 52 - 7;
constexpr std::uint64_t kLowMask = (std::uint64_t{1} << kSliceShift) - 1;
constexpr std::uint64_t kNoBoundary = std::uint64_t{1} << kSliceShift;
constexpr int kBucketShift = 48;
constexpr std::uint64_t kFirstSlice = std::bit_cast<std::uint64_t>(2.0) >> kSliceShift;
// From 2 up to 2^64 (a Time is at most 2^63 as a double): octaves 1 to 63.
constexpr std::size_t kSlices = 63 << 7;

std::array<std::uint64_t, kSlices> build_slices() {
  std::array<std::uint64_t, kSlices> table{};
  const auto bucket_at = [](std::uint64_t bits) {
    return bucket_by_log(std::bit_cast<double>(bits));
  };
  for (std::size_t s = 0; s < kSlices; ++s) {
    const std::uint64_t first = (kFirstSlice + s) << kSliceShift;
    const std::uint64_t last = first + kLowMask;
    const std::size_t b = bucket_at(first);
    std::uint64_t offset = kNoBoundary;
    if (bucket_at(last) != b) {
      // The first value of bucket b + 1: near g^b, then exact by bisection on the bits.
      const auto guess = std::bit_cast<std::uint64_t>(std::exp(static_cast<double>(b) * kLogGamma));
      std::uint64_t lo = first, hi = last;  // bucket_at(lo) == b, bucket_at(hi) > b
      const auto inside = [&](std::uint64_t bits) { return bits > first && bits < last; };
      if (inside(guess - 64) && bucket_at(guess - 64) == b) lo = guess - 64;
      if (inside(guess + 64) && bucket_at(guess + 64) > b) hi = guess + 64;
      while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        (bucket_at(mid) == b ? lo : hi) = mid;
      }
      offset = hi - first;
    }
    table[s] = (static_cast<std::uint64_t>(b) << kBucketShift) | offset;
  }
  return table;
}

const std::array<std::uint64_t, kSlices> kSliceTable = build_slices();

}  // namespace

std::size_t LatencyHistogram::reference_bucket_of(Time value) {
  if (value <= 1) return 0;
  return bucket_by_log(static_cast<double>(value));
}

std::size_t LatencyHistogram::bucket_of(Time value) {
  if (value <= 1) return 0;
  const auto bits = std::bit_cast<std::uint64_t>(static_cast<double>(value));
  const std::uint64_t entry = kSliceTable[(bits >> kSliceShift) - kFirstSlice];
  const std::uint64_t boundary = entry & ((std::uint64_t{1} << kBucketShift) - 1);
  return static_cast<std::size_t>(entry >> kBucketShift) + ((bits & kLowMask) >= boundary ? 1 : 0);
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
  return quantile_of(counts_.data(), 0, kBuckets, count_, q, min_, max_);
}

double LatencyHistogram::quantile_of(const std::uint64_t* counts, std::size_t lo, std::size_t n,
                                     std::uint64_t count, double q, Time min, Time max) {
  if (count == 0) return 0.0;
  if (q >= 1.0) return static_cast<double>(max);
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < n; ++i) {
    seen += counts[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      // Never report outside the observed range (the midpoint of the extreme buckets may be).
      return std::clamp(value_of(lo + i), static_cast<double>(min), static_cast<double>(max));
    }
  }
  return static_cast<double>(max);
}

void WindowHistogram::add(std::size_t bucket, std::uint64_t n) {
  if (counts_.empty()) {
    lo_ = bucket;
  } else if (bucket < lo_) {
    counts_.insert(counts_.begin(), lo_ - bucket, 0);
    lo_ = bucket;
  }
  if (bucket - lo_ >= counts_.size()) counts_.resize(bucket - lo_ + 1, 0);
  counts_[bucket - lo_] += n;
}

void WindowHistogram::record(Time value) {
  add(LatencyHistogram::bucket_of(value), 1);
  ++count_;
  sum_ += static_cast<double>(value);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void WindowHistogram::merge(const WindowHistogram& other) {
  for (std::size_t i = 0; i < other.counts_.size(); ++i)
    if (other.counts_[i]) add(other.lo_ + i, other.counts_[i]);
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double WindowHistogram::quantile(double q) const {
  return LatencyHistogram::quantile_of(counts_.data(), lo_, counts_.size(), count_, q, min_, max_);
}

}  // namespace servesim
