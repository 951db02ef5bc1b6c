#include "sim/metrics/uncertainty.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/core/format.h"

namespace servesim {

namespace {

template <class F>
Spread spread(const std::vector<UncertaintyDraw>& draws, F&& of) {
  std::vector<double> v;
  v.reserve(draws.size());
  for (const UncertaintyDraw& d : draws) v.push_back(of(d));
  return {quantile(v, 0.05), quantile(v, 0.5), quantile(v, 0.95)};
}

}  // namespace

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("the quantile of no values");
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto i = static_cast<std::size_t>(std::floor(h));
  if (i + 1 >= values.size()) return values.back();
  return values[i] + (h - static_cast<double>(i)) * (values[i + 1] - values[i]);
}

UncertaintySummary summarize_draws(std::vector<UncertaintyBand> bands,
                                   std::vector<UncertaintyDraw> draws) {
  UncertaintySummary u;
  u.bands = std::move(bands);
  u.draws = std::move(draws);
  if (u.draws.empty()) return u;
  u.throughput_rps = spread(u.draws, [](const UncertaintyDraw& d) { return d.throughput_rps; });
  u.latency_mean_ms = spread(u.draws, [](const UncertaintyDraw& d) { return d.latency_mean_ms; });
  u.p50_ms = spread(u.draws, [](const UncertaintyDraw& d) { return d.p50_ms; });
  u.p90_ms = spread(u.draws, [](const UncertaintyDraw& d) { return d.p90_ms; });
  u.p95_ms = spread(u.draws, [](const UncertaintyDraw& d) { return d.p95_ms; });
  u.p99_ms = spread(u.draws, [](const UncertaintyDraw& d) { return d.p99_ms; });
  for (const UncertaintyDraw& d : u.draws) u.unstable_draws += d.unstable ? 1 : 0;
  return u;
}

void print_uncertainty(std::ostream& out, const UncertaintySummary& u, const RunSummary& nominal) {
  out << "\nInput uncertainty: " << u.draws.size() << " draw(s) of " << u.bands.size()
      << " banded curve(s): factors uniform in each band, same seed as above\n";
  if (u.bands.empty()) out << "  no curve has an uncertainty band: every draw is the run above\n";
  for (const UncertaintyBand& b : u.bands)
    out << format("  %-28s x[%g, %g]  %s\n", b.curve.c_str(), b.low, b.high, b.source.c_str());
  if (u.draws.empty()) return;
  out << format("\n  %-20s %10s %23s %10s %10s %10s\n", "", "nominal", "replications' 95% CI", "p5",
                "p50", "p95");
  const auto row = [&](const char* name, double at, const Estimate* ci, const Spread& s) {
    const std::string interval = ci ? format("%.6g .. %.6g", ci->lo, ci->hi) : "";
    out << format("  %-20s %10.6g %23s %10.6g %10.6g %10.6g\n", name, at, interval.c_str(), s.p5,
                  s.p50, s.p95);
  };
  row("throughput (req/s)", nominal.throughput_rps.mean, &nominal.throughput_rps, u.throughput_rps);
  row("latency mean (ms)", nominal.latency_mean_ms.mean, &nominal.latency_mean_ms,
      u.latency_mean_ms);
  row("latency p50 (ms)", nominal.p50_ms, nullptr, u.p50_ms);
  row("latency p95 (ms)", nominal.p95_ms, nullptr, u.p95_ms);
  row("latency p99 (ms)", nominal.p99_ms, nullptr, u.p99_ms);
  out << "  (p5, p50, p95: over the draws; nominal: every factor 1, the run above)\n";
  if (u.unstable_draws > 0)
    out << "  warning: " << u.unstable_draws
        << " draw(s) were unstable (the load exceeds what the node serves with those factors): "
           "their latencies grow with the run's length\n";
}

}  // namespace servesim
