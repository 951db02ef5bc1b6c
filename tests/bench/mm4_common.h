/// What the M/M/4 baselines (mm4_bare.cpp, mm4_simgrid.cpp) share: the options, which default to
/// tests/bench/mm4.yaml, the per-customer bookkeeping a simulator does (a log-bucket sojourn
/// histogram, a running sum) and the JSON line they print for tests/bench/mm4_baselines.sh.
#ifndef SERVESIM_TESTS_BENCH_MM4_COMMON_H
#define SERVESIM_TESTS_BENCH_MM4_COMMON_H

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace mm4 {

/// The M/M/c system and the run, as tests/bench/mm4.yaml has them.
struct Options {
  double rate = 90.0;           // arrivals per second
  int servers = 4;              // c
  double mean_service = 0.040;  // seconds
  double duration = 2000.0;     // simulated seconds per replication, warm-up included
  double warmup = 100.0;        // seconds; customers that finish before it are not counted
  int replications = 10;
  std::uint64_t seed = 7;
};

/// Parses `--name value` pairs into Options; anything else is a usage error (exit 2).
inline Options parse_options(int argc, char** argv, const char* program) {
  Options o;
  auto usage = [program](const std::string& why) {
    std::fprintf(stderr,
                 "%s: %s\nusage: %s [--rate R] [--servers C] [--mean-service S] [--duration S]"
                 " [--warmup S] [--replications N] [--seed N]\n",
                 program, why.c_str(), program);
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) usage("option '" + std::string(name) + "' needs a value");
    const char* text = argv[++i];
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(v))
      usage("'" + std::string(text) + "' is not a number (" + std::string(name) + ")");
    if (name == "--rate") {
      o.rate = v;
    } else if (name == "--servers") {
      o.servers = static_cast<int>(v);
    } else if (name == "--mean-service") {
      o.mean_service = v;
    } else if (name == "--duration") {
      o.duration = v;
    } else if (name == "--warmup") {
      o.warmup = v;
    } else if (name == "--replications") {
      o.replications = static_cast<int>(v);
    } else if (name == "--seed") {
      o.seed = static_cast<std::uint64_t>(v);
    } else {
      usage("unknown option '" + std::string(name) + "'");
    }
  }
  if (o.rate <= 0 || o.servers < 1 || o.mean_service <= 0 || o.duration <= o.warmup ||
      o.warmup < 0 || o.replications < 1)
    usage(
        "needs rate > 0, servers >= 1, mean-service > 0, 0 <= warmup < duration, "
        "replications >= 1");
  return o;
}

/// Sojourn times in log-spaced buckets, 64 per decade from 1 us to 1e5 s (one log() per sample),
/// so that a quantile can be read back as a simulator's latency histogram would give it.
class LogHistogram {
 public:
  void add(double x) {
    std::size_t b = 0;
    if (x > kLow) {
      b = 1 + static_cast<std::size_t>(std::log(x / kLow) * kPerLn);
      b = std::min(b, kBuckets - 1);
    }
    ++counts_[b];
    ++total_;
  }
  /// The upper edge of the bucket that holds quantile q (0 < q < 1).
  double quantile(double q) const {
    const auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= want && seen > 0) return kLow * std::exp(static_cast<double>(b) / kPerLn);
    }
    return kLow * std::exp(static_cast<double>(kBuckets - 1) / kPerLn);
  }

 private:
  static constexpr double kLow = 1e-6;
  static constexpr double kPerLn = 64.0 / 2.302585092994046;  // 64 buckets per decade
  static constexpr std::size_t kBuckets = 1 + 11 * 64;
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

/// What one replication measured.
struct Replication {
  std::uint64_t completed = 0;
  double sojourn_sum = 0.0;
  double mean() const { return completed ? sojourn_sum / static_cast<double>(completed) : 0.0; }
};

/// Student's t 0.975 quantile for `df` degrees of freedom (1.96 beyond the table).
inline double t975(int df) {
  static constexpr std::array<double, 30> kT = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  return df >= 1 && df <= 30 ? kT[static_cast<std::size_t>(df - 1)] : 1.96;
}

/// Prints the JSON line: customers completed after the warm-up over all replications, the mean
/// sojourn time with a 95% confidence half-width across replication means, the histogram's p99,
/// and the wall seconds of the simulation loop alone.
inline void print_result(const char* impl, const Options& o, const std::vector<Replication>& reps,
                         const LogHistogram& hist, double wall_s) {
  std::uint64_t completed = 0;
  double sum = 0.0;
  for (const auto& r : reps) {
    completed += r.completed;
    sum += r.mean();
  }
  const double n = static_cast<double>(reps.size());
  const double mean = sum / n;
  double ss = 0.0;
  for (const auto& r : reps) ss += (r.mean() - mean) * (r.mean() - mean);
  const double half =
      reps.size() > 1 ? t975(static_cast<int>(reps.size()) - 1) * std::sqrt(ss / (n - 1) / n) : 0;
  std::printf(
      "{\"impl\":\"%s\",\"completed\":%llu,\"replications\":%d,\"simulated_s\":%.6g,"
      "\"mean_sojourn_s\":%.9g,\"mean_sojourn_ci95_s\":%.9g,\"p99_sojourn_s\":%.6g,"
      "\"wall_s\":%.6f}\n",
      impl, static_cast<unsigned long long>(completed), o.replications, o.duration * o.replications,
      mean, half, hist.quantile(0.99), wall_s);
}

}  // namespace mm4

#endif  // SERVESIM_TESTS_BENCH_MM4_COMMON_H
