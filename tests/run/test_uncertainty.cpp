// Prediction intervals from input uncertainty (run --uncertainty N): each draw scales its banded
// curves by factors from a stream of its own, and the run at each draw is the run of the scaled
// scenario; the hand-derived case is one deterministic server with one client, whose every
// request takes exactly the scaled service time.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/core/random.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/scenario.h"

namespace servesim {
namespace {

ScenarioParams scenario(const std::string& text) {
  return parse_scenario(load_config_text(text, "<test>", "."));
}

// One client, one core, a service of exactly 1 ms: request k completes at k * S, S the scaled
// service time rounded to the ns.
const char* const kOneServer = R"(
seed: 11
run: {duration: 3s, warmup: 1s, replications: 2}
workload: {mode: closed, concurrency: 1}
node: {cpu: {cores: 1}}
pipeline:
  - {name: work, device: cpu, service: {curve: w}}
curves:
  w: {form: constant, coef: {a: 1ms}, source: test, uncertainty: {low: 0.5, high: 2, source: b}}
)";

}  // namespace

TEST_CASE("each draw's factor is low + (high - low) u from the stream of its draw and curve",
          "[unit]") {
  const std::vector<UncertaintyBand> w{{"w", 0.5, 2, "b"}};
  const std::vector<UncertaintyBand> vw{{"v", 0.9, 1.1, "b"}, {"w", 0.5, 2, "b"}};
  for (std::size_t d = 0; d < 5; ++d) {
    const double u = Rng::stream(11, d, "--uncertainty", "w").uniform01();
    const std::vector<double> f = draw_factors(11, d, w);
    REQUIRE(f.size() == 1);
    CHECK(f[0] == 0.5 + 1.5 * u);
    // Another curve's band does not move this one's draws.
    CHECK(draw_factors(11, d, vw)[1] == f[0]);
    CHECK(draw_factors(12, d, w)[0] != f[0]);
  }
}

TEST_CASE("a deterministic server's results at each draw are those of its scaled service time",
          "[unit]") {
  const ScenarioParams p = scenario(kOneServer);
  const UncertaintySummary u = run_uncertainty(p, 3, 1);
  REQUIRE(u.bands.size() == 1);
  CHECK(u.bands[0].curve == "w");
  REQUIRE(u.draws.size() == 3);
  std::vector<double> x, lat;
  for (std::size_t d = 0; d < 3; ++d) {
    const UncertaintyDraw& dr = u.draws[d];
    INFO("draw " << d);
    REQUIRE(dr.factors.size() == 1);
    const double f = dr.factors[0];
    CHECK(f == draw_factors(11, d, u.bands)[0]);
    CHECK((f > 0.5 && f < 2));
    // Every request takes S = round(1e6 f) ns, so the mean latency is S; completions at k S
    // inside the window (1 s, 3 s] number floor(3e9 / S) - floor(1e9 / S), over 2 s.
    const double s_ns = std::nearbyint(1e6 * f);
    CHECK(dr.latency_mean_ms == Approx(s_ns * 1e-6).epsilon(1e-12));
    CHECK(dr.throughput_rps == (std::floor(3e9 / s_ns) - std::floor(1e9 / s_ns)) / 2);
    CHECK_FALSE(dr.unstable);
    x.push_back(dr.throughput_rps);
    lat.push_back(dr.latency_mean_ms);
  }
  // Three draws sorted a <= b <= c: p5 = a + 0.1 (b - a), p50 = b, p95 = b + 0.9 (c - b).
  std::sort(x.begin(), x.end());
  std::sort(lat.begin(), lat.end());
  CHECK(u.throughput_rps.p5 == Approx(x[0] + 0.1 * (x[1] - x[0])).epsilon(1e-12));
  CHECK(u.throughput_rps.p50 == x[1]);
  CHECK(u.throughput_rps.p95 == Approx(x[1] + 0.9 * (x[2] - x[1])).epsilon(1e-12));
  CHECK(u.latency_mean_ms.p5 == Approx(lat[0] + 0.1 * (lat[1] - lat[0])).epsilon(1e-12));
  CHECK(u.latency_mean_ms.p50 == lat[1]);
  CHECK(u.latency_mean_ms.p95 == Approx(lat[1] + 0.9 * (lat[2] - lat[1])).epsilon(1e-12));
  // The nominal run (every factor 1) is not among the draws and is unchanged by them.
  CHECK(run_scenario(p, 1).latency_mean_ms.mean == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("every use of a banded curve is scaled, and nothing else", "[unit]") {
  const ScenarioParams p = scenario(R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 1}
node: {cpu: {cores: 2}}
pipeline:
  - {name: a, device: cpu, service: {curve: w}}
  - {name: b, device: cpu, service: {curve: w}}
  - {name: c, device: cpu, service: {curve: v}}
curves:
  w: {form: constant, coef: {a: 1ms}, source: t, uncertainty: {rel: 0.5, source: b}}
  v: {form: constant, coef: {a: 3ms}, source: t}
)");
  const std::vector<UncertaintyBand> bands = uncertainty_bands(p);
  REQUIRE(bands.size() == 1);  // w once, though two stages use it; v has no band
  CHECK(bands[0].low == 0.5);
  CHECK(bands[0].high == 1.5);
  const ScenarioParams q = with_factors(p, bands, {1.25});
  CHECK(q.pipeline[0].service.curve->mean_ns({}) == 1.25e6);
  CHECK(q.pipeline[1].service.curve->mean_ns({}) == 1.25e6);
  CHECK(q.pipeline[2].service.curve->mean_ns({}) == 3e6);
  CHECK(p.pipeline[0].service.curve->mean_ns({}) == 1e6);  // the scenario itself is kept
}

TEST_CASE("the draws give the same results for 1 or 3 threads", "[unit][threads]") {
  ScenarioParams p = scenario(R"(
seed: 5
run: {duration: 4s, warmup: 1s, replications: 3}
workload: {mode: open, rate: 300/s}
node: {cpu: {cores: 2}}
pipeline:
  - {name: a, device: cpu, service: {curve: w}}
  - {name: b, device: cpu, instances: 2, service: {dist: exponential, mean: 2ms}}
curves:
  w: {form: constant, coef: {a: 2ms}, noise: {dist: gamma, cv: 0.5}, source: t,
      uncertainty: {rel: 0.3, source: b}}
)");
  const std::string one = uncertainty_json(run_uncertainty(p, 4, 1)).dump();
  const std::string three = uncertainty_json(run_uncertainty(p, 4, 3)).dump();
  CHECK(one == three);
  p.seed = 6;  // the seed reaches the factors
  CHECK(uncertainty_json(run_uncertainty(p, 4, 1)).dump() != one);
}

}  // namespace servesim
