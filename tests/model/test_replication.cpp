// Request conservation in a replication's window: every arrival is either completed or still
// inside, with or without warm-up, open or closed.
#include <catch2/catch.hpp>

#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "sim/metrics/run_summary.h"

namespace servesim {

TEST_CASE("arrivals in the window equal completions plus the growth of the backlog", "[unit]") {
  const std::string base = R"(
seed: 3
run: {duration: 20s, replications: 2}
workload: {mode: closed, concurrency: 5}
node: {cpu: {cores: 1}}
pipeline: [{name: s, device: cpu, instances: 2, service: {dist: exponential, mean: 50ms}}]
)";
  for (const char* warmup : {"0s", "3s"}) {
    for (const char* workload : {"{mode: closed, concurrency: 5}", "{mode: open, rate: 15/s}"}) {
      ConfigNode root = load_config_text(base, "<test>", ".");
      apply_override(root, std::string("run.warmup=") + warmup, 1);
      apply_override(root, std::string("workload=") + workload, 2);
      const RunSummary s = run_scenario(parse_scenario(root), 1);
      for (const auto& r : s.reps) {
        INFO("warmup " << warmup << ", workload " << workload);
        CHECK(static_cast<std::int64_t>(r.arrivals) - static_cast<std::int64_t>(r.completed) ==
              r.in_system_growth);
        // Without warm-up nothing is inside when the window opens.
        if (std::string(warmup) == "0s") CHECK(r.in_system_begin == 0);
      }
    }
  }
}

}  // namespace servesim
