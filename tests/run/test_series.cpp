// run.interval's time series, worked out by hand: constant arrivals that double at 6 s through
// a 1 us worker, so every window's rates, latencies and backlog are known.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"

namespace servesim {

TEST_CASE("time series: each window's offered and served rate, latency and backlog", "[unit]") {
  const std::string yaml = R"(
run: {duration: 10s, warmup: 2s, replications: 2, interval: 1s}
workload:
  mode: open
  rate: 1000/s
  arrival: constant
  schedule: {shape: step, at: [0s, 6s], factor: [1, 2]}
node: {cpu: {cores: 1}}
pipeline: [{name: s, device: cpu, service: {dist: deterministic, mean: 1us}}]
)";
  const ScenarioParams p = parse_scenario(load_config_text(yaml, "<test>", "."));
  const RunSummary s = run_scenario(p, 1);
  REQUIRE(s.series.size() == 8);  // 2 s .. 10 s
  CHECK(s.series_interval_s == 1);
  for (std::size_t k = 0; k < s.series.size(); ++k) {
    const SeriesPoint& w = s.series[k];
    INFO("window " << k);
    CHECK(w.start_s == Approx(2.0 + static_cast<double>(k)));
    CHECK(w.length_s == Approx(1.0));
    // Every 1 ms before 6 s, every 0.5 ms after; an arrival on a window's edge may fall on
    // either side of it (the edge event and the arrival are at the same ns).
    const double rate = w.start_s < 6 ? 1000 : 2000;
    CHECK(w.offered_rps >= rate - 1);
    CHECK(w.offered_rps <= rate + 1);
    CHECK(w.throughput_rps >= rate - 1);
    CHECK(w.throughput_rps <= rate + 1);
    // No queueing: every request takes its 1 us, so 1 us x rate requests are inside on average.
    CHECK(w.latency_mean_ms == Approx(0.001));
    CHECK(w.p50_ms == Approx(0.001));
    CHECK(w.p99_ms == Approx(0.001));
    CHECK(w.in_system_mean == Approx(rate * 1e-6).epsilon(0.002));
  }
  const auto j = summary_json(s, resolved_config(p));
  REQUIRE(j.contains("timeseries"));
  CHECK(j["timeseries"]["interval_s"] == 1);
  CHECK(j["timeseries"]["start_s"].size() == 8);
  CHECK(j["timeseries"]["p99_ms"][7] == 0.001);
  // Without run.interval there is no series.
  ScenarioParams q = p;
  q.run.interval = 0;
  CHECK(run_scenario(q, 1).series.empty());
}

}  // namespace servesim
