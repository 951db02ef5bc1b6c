#include "sim/run/uncertainty.h"

#include <map>
#include <string>

#include "sim/core/random.h"
#include "sim/run/replications.h"

namespace servesim {

std::vector<UncertaintyBand> uncertainty_bands(const ScenarioParams& p) {
  std::map<std::string, UncertaintyBand> by_name;
  for_each_named_curve(p, [&](const std::string& name, const Curve& c) {
    if (c.band)
      by_name.emplace(name, UncertaintyBand{name, c.band->low, c.band->high, c.band->source});
  });
  std::vector<UncertaintyBand> out;
  out.reserve(by_name.size());
  for (auto& [name, b] : by_name) out.push_back(std::move(b));
  return out;
}

std::vector<double> draw_factors(std::uint64_t seed, std::size_t draw,
                                 const std::vector<UncertaintyBand>& bands) {
  std::vector<double> f;
  f.reserve(bands.size());
  for (const UncertaintyBand& b : bands) {
    Rng rng = Rng::stream(seed, draw, "--uncertainty", b.curve);
    f.push_back(b.low + (b.high - b.low) * rng.uniform01());
  }
  return f;
}

ScenarioParams with_factors(const ScenarioParams& p, const std::vector<UncertaintyBand>& bands,
                            const std::vector<double>& factors) {
  std::map<std::string, double, std::less<>> factor;
  for (std::size_t i = 0; i < bands.size(); ++i) factor[bands[i].curve] = factors.at(i);
  ScenarioParams q = p;
  for_each_named_curve(q, [&](const std::string& name, Curve& c) {
    if (const auto it = factor.find(name); it != factor.end()) c = c.scaled(it->second);
  });
  return q;
}

UncertaintySummary run_uncertainty(const ScenarioParams& p, int draws, int threads) {
  std::vector<UncertaintyBand> bands = uncertainty_bands(p);
  std::vector<UncertaintyDraw> out;
  out.reserve(static_cast<std::size_t>(draws));
  for (std::size_t d = 0; d < static_cast<std::size_t>(draws); ++d) {
    UncertaintyDraw draw;
    draw.factors = draw_factors(p.seed, d, bands);
    const RunSummary s = run_scenario(with_factors(p, bands, draw.factors), threads);
    draw.throughput_rps = s.throughput_rps.mean;
    draw.latency_mean_ms = s.latency_mean_ms.mean;
    draw.p50_ms = s.p50_ms;
    draw.p90_ms = s.p90_ms;
    draw.p95_ms = s.p95_ms;
    draw.p99_ms = s.p99_ms;
    draw.unstable = s.unstable;
    out.push_back(std::move(draw));
  }
  return summarize_draws(std::move(bands), std::move(out));
}

}  // namespace servesim
