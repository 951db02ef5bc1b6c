/// Draws and histogram records beside the methods they replaced, same process: the ziggurat
/// standard_normal beside the polar method, the ziggurat standard_exponential beside -log(u), and
/// LatencyHistogram::bucket_of (exponent and slice table) beside its definition by log(); a bare
/// loop of Rng::next() is the floor. Reports ns per operation (median over repetitions) and the
/// ratio to the replaced method; under callgrind each loop is its own function, so instructions
/// per operation are its inclusive count / N (docs/performance.md).
///
///   draw_bench [--n N] [--reps R]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"
#include "sim/metrics/histogram.h"

namespace {

using servesim::Rng;
using servesim::Time;

// The polar method as servesim drew normals before the ziggurat (the second variate discarded).
double polar_normal(Rng& rng) {
  for (;;) {
    const double u = 2 * rng.uniform01() - 1;
    const double v = 2 * rng.uniform01() - 1;
    const double s = u * u + v * v;
    if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
  }
}

__attribute__((noinline)) double loop_bare(Rng& rng, std::int64_t n) {
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += rng.next();
  return static_cast<double>(sum);
}
__attribute__((noinline)) double loop_polar(Rng& rng, std::int64_t n) {
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += polar_normal(rng);
  return sum;
}
__attribute__((noinline)) double loop_ziggurat_normal(Rng& rng, std::int64_t n) {
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += servesim::standard_normal(rng);
  return sum;
}
__attribute__((noinline)) double loop_log_exponential(Rng& rng, std::int64_t n) {
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += -std::log(rng.uniform01());
  return sum;
}
__attribute__((noinline)) double loop_ziggurat_exponential(Rng& rng, std::int64_t n) {
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += servesim::standard_exponential(rng);
  return sum;
}
// Latency-like values from 1 us to ~1 s: uniform below a power of two that 4 random bits pick.
Time latency(Rng& rng) {
  const std::uint64_t b = rng.next();
  return static_cast<Time>(1000 + ((b >> 8) >> (26 + (b & 0xf))));
}
__attribute__((noinline)) double loop_bucket_log(Rng& rng, std::int64_t n) {
  std::size_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i)
    sum += servesim::LatencyHistogram::reference_bucket_of(latency(rng));
  return static_cast<double>(sum);
}
__attribute__((noinline)) double loop_bucket_table(Rng& rng, std::int64_t n) {
  std::size_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += servesim::LatencyHistogram::bucket_of(latency(rng));
  return static_cast<double>(sum);
}
__attribute__((noinline)) double loop_latency_only(Rng& rng, std::int64_t n) {
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += static_cast<std::uint64_t>(latency(rng));
  return static_cast<double>(sum);
}

struct Case {
  const char* name;
  double (*loop)(Rng&, std::int64_t);
  int baseline;  // index of the case it is compared with, or -1
};

}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = 10'000'000;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--n")
      n = std::atoll(argv[i + 1]);
    else if (a == "--reps")
      reps = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "draw_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (n <= 0 || reps <= 0) {
    std::fprintf(stderr, "draw_bench: --n and --reps must be positive\n");
    return 2;
  }
  const Case cases[] = {
      {"rng.next() (bare loop)", loop_bare, -1},
      {"normal: polar method (before)", loop_polar, -1},
      {"normal: ziggurat", loop_ziggurat_normal, 1},
      {"exponential: -log(u) (before)", loop_log_exponential, -1},
      {"exponential: ziggurat", loop_ziggurat_exponential, 3},
      {"latency values only (floor)", loop_latency_only, -1},
      {"bucket: ceil(log v / log g) (before)", loop_bucket_log, -1},
      {"bucket: exponent + slice table", loop_bucket_table, 6},
  };
  constexpr std::size_t kCases = sizeof(cases) / sizeof(cases[0]);
  std::vector<std::vector<double>> ns(kCases);
  double checksum = 0;
  for (int r = 0; r < reps; ++r) {
    for (std::size_t c = 0; c < kCases; ++c) {
      Rng rng = Rng::stream(1, static_cast<std::uint64_t>(r), "draw_bench", "draws");
      const auto t0 = std::chrono::steady_clock::now();
      checksum += cases[c].loop(rng, n);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ns[c].push_back(s * 1e9 / static_cast<double>(n));
    }
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%-40s %10s %10s\n", "operation", "ns/op", "vs before");
  for (std::size_t c = 0; c < kCases; ++c) {
    const double m = median(ns[c]);
    if (cases[c].baseline >= 0)
      std::printf("%-40s %10.2f %9.2fx\n", cases[c].name, m,
                  m / median(ns[static_cast<std::size_t>(cases[c].baseline)]));
    else
      std::printf("%-40s %10.2f %10s\n", cases[c].name, m, "");
  }
  for (std::size_t c = 0; c < kCases; ++c)
    std::printf(
        "{\"bench\":\"draw\",\"operation\":\"%s\",\"ns_per_op\":%.3f,\"n\":%lld,\"reps\":%d}\n",
        cases[c].name, median(ns[c]), static_cast<long long>(n), reps);
  std::fprintf(stderr, "checksum %g\n", checksum);
  return 0;
}
