#pragma once
/// Prediction intervals from input uncertainty (`servesim run --uncertainty N`): what each draw
/// of the curves' scale factors gave, and the spread of those results over the draws.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/metrics/run_summary.h"

namespace servesim {

/// A curve with an uncertainty band: its factor is drawn uniformly in [low, high].
struct UncertaintyBand {
  std::string curve;
  double low = 1, high = 1;
  std::string source;
};

/// One draw: a factor per band (in the bands' order) and the run it gave (over its replications).
struct UncertaintyDraw {
  std::vector<double> factors;
  double throughput_rps = 0, latency_mean_ms = 0, p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0;
  bool unstable = false;
};

/// The 5th, 50th and 95th percentiles of one result over the draws.
struct Spread {
  double p5 = 0, p50 = 0, p95 = 0;
};

struct UncertaintySummary {
  std::vector<UncertaintyBand> bands;
  std::vector<UncertaintyDraw> draws;
  Spread throughput_rps, latency_mean_ms, p50_ms, p90_ms, p95_ms, p99_ms;
  std::size_t unstable_draws = 0;
};

/// The q-quantile (0 <= q <= 1) of `values` by linear interpolation between order statistics:
/// sorted x[0..n-1], position h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] -
/// x[floor h]) (Hyndman and Fan's type 7, numpy's default). `values` must not be empty.
double quantile(std::vector<double> values, double q);

/// The draws condensed: each result's p5, p50 and p95 over the draws.
UncertaintySummary summarize_draws(std::vector<UncertaintyBand> bands,
                                   std::vector<UncertaintyDraw> draws);

/// The block the run's summary prints after its own (docs/guide.md, "Input uncertainty"): each
/// result's nominal value (`nominal`: the run with every factor 1) and replication interval
/// beside its p5, p50 and p95 over the draws.
void print_uncertainty(std::ostream& out, const UncertaintySummary& u, const RunSummary& nominal);

}  // namespace servesim
