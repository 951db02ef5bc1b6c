// A pool of worker threads when the system refuses some of them: the replications run on the
// threads that started (the caller's at least), with a warning, and never std::terminate.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "sim/core/worker_threads.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "tests/support/sanitizers.h"
#include "tests/support/scenario.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

const char* const kTiny = R"(
seed: 5
run: {duration: 2s, warmup: 1s, replications: 12}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline: [{name: serve, device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}]
)";

/// A starter that starts `good` threads, then fails as std::thread does without resources.
ThreadStarter failing_after(int good) {
  auto left = std::make_shared<std::atomic<int>>(good);
  return [left](std::function<void()> fn) {
    if ((*left)-- <= 0)
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                              "thread");
    return std::thread(std::move(fn));
  };
}

TEST_CASE("start_workers goes on with half the threads that started when the system refuses one",
          "[unit]") {
  std::atomic<int> ran{0};
  WorkerThreads pool = start_workers(
      7, [&ran] { ++ran; }, failing_after(4));
  CHECK(pool.size() == 2);
  CHECK_THAT(pool.refused(), Catch::Matchers::Contains("thread"));
  pool.join();
  CHECK(ran == 2);  // the two let go ended before running anything
  WorkerThreads all = start_workers(3, [&ran] { ++ran; });
  CHECK(all.size() == 3);
  CHECK(all.refused().empty());
  all.join();
  CHECK(ran == 5);
}

TEST_CASE(
    "run_scenario on fewer threads than asked, when starting one fails, gives the same result",
    "[unit]") {
  const ScenarioParams p = test::parse(kTiny);
  const auto config = nlohmann::ordered_json::object();
  const std::string one = summary_json(run_scenario(p, 1), config).dump();
  ThreadStarter& starter = default_thread_starter();
  const ThreadStarter saved = starter;
  starter = failing_after(2);
  std::string got;
  try {
    got = summary_json(run_scenario(p, 8), config).dump();
  } catch (...) {
    starter = saved;
    throw;
  }
  starter = saved;
  CHECK(got == one);
}

#if !SERVESIM_TEST_HUGE_SHADOW  // ASan and TSan reserve terabytes: no ulimit -v under them
TEST_CASE("servesim run -j 1000 under ulimit -v warns and finishes instead of aborting", "[unit]") {
  test::TempDir dir;
  const auto scenario = dir.write("s.yaml", kTiny);
  const auto err = dir.path() / "err.txt";
  // 1000 thread stacks (8 MiB each) do not fit in 1.5 GB of address space: std::thread throws.
  const std::string cmd = "ulimit -s 8192 2>/dev/null; ulimit -v 1500000 && '" +
                          std::string(SERVESIM_BINARY) + "' run '" + scenario.string() +
                          "' -q -j 1000 --set run.replications=1000 --set run.duration=1.1s 2>'" +
                          err.string() + "'";
  const int status = std::system(("bash -c \"" + cmd + "\"").c_str());
  std::ifstream f(err);
  std::stringstream text;
  text << f.rdbuf();
  INFO(text.str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(text.str(), Catch::Matchers::Contains("warning"));
  CHECK_THAT(text.str(), Catch::Matchers::Contains("thread"));
}
#endif

}  // namespace
}  // namespace servesim
