// Rung 1 of the validation ladder: servesim against exact queueing theory. Each test runs a
// scenario through the config parser and the full model with a fixed seed, and requires the
// theoretical value to lie inside the run's own Student-t 95% confidence interval over
// independent replications. Every run is also checked against the operational laws.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "sim/metrics/run_summary.h"
#include "tests/validation/queueing_theory.h"

namespace servesim {
namespace {

// The scenarios live in tests/validation/scenarios/ so that `servesim run FILE` reproduces each.
RunSummary run_file(const std::string& name) {
  const auto path =
      std::filesystem::path(SERVESIM_SOURCE_DIR) / "tests/validation/scenarios" / name;
  return run_scenario(parse_scenario(load_config_file(path)), 2);
}

// Little's law (L = X W) and the utilisation law (U = X S / c) per replication. The two sides
// differ only through requests that straddle the window's edges: at most N(begin) + N(end)
// requests, each contributing at most its sojourn (bounded by the largest latency seen), so
// |L - X W| <= (N_begin + N_end) * W_max / T; likewise at most 2c requests in service at the
// edges give |U - X S / c| <= 2 W_max / T. These are bounds, not tuned tolerances.
void require_operational_laws(const RunSummary& s) {
  for (const auto& r : s.reps) {
    const double w_max = static_cast<double>(r.latency.max()) * 1e-9;
    const double edge = static_cast<double>(r.in_system_begin + r.in_system_end);
    INFO("replication window " << r.window_s << " s, N(begin) " << r.in_system_begin << ", N(end) "
                               << r.in_system_end);
    CHECK(std::abs(r.in_system_mean - r.throughput_rps * r.latency_mean_s) <=
          edge * w_max / r.window_s + 1e-12);
    for (std::size_t i = 0; i < r.stage_count.size(); ++i) {
      const double x_stage = static_cast<double>(r.stage_count[i]) / r.window_s;
      const double c = static_cast<double>(s.stages[i].instances);
      INFO("stage " << s.stages[i].name);
      CHECK(std::abs(r.stage_utilization[i] - x_stage * r.stage_service_mean_s[i] / c) <=
            2 * w_max / r.window_s);
      // Forced flow: every stage completes the node's requests, up to those still inside.
      CHECK(std::llabs(static_cast<long long>(r.stage_count[i]) -
                       static_cast<long long>(r.completed)) <=
            static_cast<long long>(r.in_system_begin + r.in_system_end));
    }
  }
}

void require_in_ci(const Estimate& e, double theory, const char* what) {
  INFO(what << ": theory " << theory << ", simulated " << e.mean << " (95% CI " << e.lo << " .. "
            << e.hi << ")");
  CHECK(e.contains(theory));
}

}  // namespace

TEST_CASE("M/M/1 mean response time matches 1/(mu - lambda) within the 95% CI", "[validation]") {
  const RunSummary s = run_file("mm1.yaml");
  require_in_ci(s.latency_mean_ms, 1e3 / (100.0 - 80.0), "W (ms)");
  require_in_ci(s.throughput_rps, 80.0, "X (1/s)");
  require_operational_laws(s);
}

TEST_CASE("M/M/c at rho = 0.9 matches Erlang C within the 95% CI", "[validation]") {
  // README's minimal scenario: c = 4, lambda = 90/s, 1/mu = 40 ms, rho = 0.9.
  const RunSummary s =
      run_scenario(parse_scenario(load_config_file(std::filesystem::path(SERVESIM_SOURCE_DIR) /
                                                   "configs/scenarios/mm4.yaml")),
                   2);
  const double w = theory::mmc_response(4, 90.0, 0.040);
  require_in_ci(s.latency_mean_ms, w * 1e3, "W (ms)");
  require_in_ci(s.stages[0].queue_ms, (w - 0.040) * 1e3, "Wq (ms)");
  CHECK(s.stages[0].utilization == Approx(0.9).epsilon(0.01));
  require_operational_laws(s);
}

TEST_CASE("M/D/1 mean wait matches Pollaczek-Khinchine (cv = 0) within the 95% CI",
          "[validation]") {
  const RunSummary s = run_file("md1.yaml");
  const double wq = theory::mg1_wait(80.0, 0.010, 0.0);
  require_in_ci(s.stages[0].queue_ms, wq * 1e3, "Wq (ms)");
  require_in_ci(s.latency_mean_ms, (wq + 0.010) * 1e3, "W (ms)");
  require_operational_laws(s);
}

TEST_CASE("M/G/1 with lognormal service (cv = 2) matches Pollaczek-Khinchine within the 95% CI",
          "[validation]") {
  const RunSummary s = run_file("mg1-lognormal.yaml");
  const double wq = theory::mg1_wait(60.0, 0.010, 2.0);
  require_in_ci(s.stages[0].queue_ms, wq * 1e3, "Wq (ms)");
  require_in_ci(s.latency_mean_ms, (wq + 0.010) * 1e3, "W (ms)");
  require_operational_laws(s);
}

TEST_CASE("Closed loop with think time matches exact mean value analysis within the 95% CI",
          "[validation]") {
  // N = 8 clients, exponential think time Z = 50 ms, two single-server exponential stations.
  const RunSummary s = run_file("closed-mva.yaml");
  const auto m = theory::mva({0.010, 0.015}, 0.050, 8);
  require_in_ci(s.throughput_rps, m.throughput, "X (1/s)");
  require_in_ci(s.latency_mean_ms, m.response * 1e3, "R (ms)");
  require_operational_laws(s);
}

TEST_CASE("Two-station tandem matches Jackson's product form within the 95% CI", "[validation]") {
  // M/M/1 (12 ms, rho 0.6) then M/M/2 (30 ms each, rho 0.75) at lambda = 50/s.
  const RunSummary s = run_file("tandem-jackson.yaml");
  const double w1 = theory::mmc_response(1, 50.0, 0.012);
  const double w2 = theory::mmc_response(2, 50.0, 0.030);
  require_in_ci(s.stages[0].queue_ms, (w1 - 0.012) * 1e3, "Wq first (ms)");
  require_in_ci(s.stages[1].queue_ms, (w2 - 0.030) * 1e3, "Wq second (ms)");
  require_in_ci(s.latency_mean_ms, (w1 + w2) * 1e3, "W (ms)");
  require_operational_laws(s);
}

TEST_CASE("CPU processor sharing: M/D/1-PS response is insensitive to the service distribution",
          "[validation]") {
  // Many workers on one core share it; the mean response of M/G/1-PS is S / (1 - rho) for any
  // service distribution, here deterministic 10 ms at rho = 0.8: 50 ms (FCFS M/D/1 gives 30 ms).
  const RunSummary s = run_file("ps-md1.yaml");
  require_in_ci(s.latency_mean_ms, 10.0 / (1 - 0.8), "W (ms)");
  require_operational_laws(s);
}

}  // namespace servesim
