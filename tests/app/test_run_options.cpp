// `servesim run`'s options: each one checked before any simulating, with a located error
// (exit 2, naming the option), and nothing written when one is wrong.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

using test::cli;
using test::CliResult;

/// A scenario that runs in a blink: M/M/4 for 2 s.
std::filesystem::path small_scenario(const test::TempDir& dir) {
  return dir.write("s.yaml", R"(
seed: 5
run: {duration: 2s, warmup: 1s, replications: 1}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline: [{name: serve, device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}]
)");
}

TEST_CASE("run --trace-window outside 1ns .. the clock's range is refused, naming the option",
          "[unit]") {
  test::TempDir dir;
  const auto s = small_scenario(dir);
  const auto trace = dir.path() / "t.json";
  // 1e10 s is past the int64 nanosecond clock (292 years): it used to wrap to a negative window.
  // 0.1 ns rounded to an empty window. Both exited 0 with an empty trace.
  for (const char* w : {"1e10s", "0.1ns", "0s", "-5ms", "3 parsecs"}) {
    INFO(w);
    const CliResult r =
        cli({"run", s.string(), "-q", "--trace", trace.string(), "--trace-window", w});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("--trace-window"));
    CHECK_FALSE(std::filesystem::exists(trace));
  }
  const CliResult ok =
      cli({"run", s.string(), "-q", "--trace", trace.string(), "--trace-window", "1ns"});
  CHECK(ok.code == 0);
  CHECK(std::filesystem::exists(trace));
}

TEST_CASE("run --trace-window without --trace is refused rather than ignored", "[unit]") {
  test::TempDir dir;
  const CliResult r = cli({"run", small_scenario(dir).string(), "-q", "--trace-window", "50ms"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("--trace"));
}

std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST_CASE("run --trace: a held worker's span names the requests of its batch, not later ones",
          "[unit][files]") {
  // A fused fan-out: each detect worker runs its batch's 3 children itself, and its "children"
  // span is written when they are done, after its requests have left and their records may
  // have been reused. The span must still name the batch it took: requests that began before
  // the span did, no id twice (the records' reuse once named later requests here).
  test::TempDir dir;
  const auto s = dir.write("fused.yaml", R"(
seed: 3
run: {duration: 2s, warmup: 1s, replications: 1}
workload: {mode: closed, concurrency: 8}
node: {cpu: {cores: 4}}
pipeline:
  - name: detect
    device: cpu
    instances: 2
    service: {dist: exponential, mean: 2ms}
    batching: {max_batch_size: 4, max_queue_delay: 0us}
    fanout:
      count: 3
      child: {width: 16, height: 16, bytes: 768B}
      broker: {kind: fused}
  - name: identify
    device: cpu
    instances: 2
    service: {dist: exponential, mean: 1ms}
)");
  const CliResult r = cli({"run", s.string(), "-q", "--trace", "-", "--trace-window", "1s"});
  REQUIRE(r.code == 0);
  const auto events = nlohmann::json::parse(r.out)["traceEvents"];
  std::map<std::uint64_t, double> began;
  for (const auto& e : events)
    if (e.value("name", "") == "request" && e.value("ph", "") == "b" && e.contains("args"))
      began[e["args"]["request"].get<std::uint64_t>()] = e["ts"].get<double>();
  int spans = 0;
  for (const auto& e : events) {
    // From 10 ms into the trace (it starts at the end of warm-up, 1 s): a batch's requests all
    // finish after its span starts, so inside the trace.
    if (e.value("name", "") != "children" || e["ts"].get<double>() < 1.01e6) continue;
    ++spans;
    const auto ids = e["args"]["requests"].get<std::vector<std::uint64_t>>();
    CHECK(std::set<std::uint64_t>(ids.begin(), ids.end()).size() == ids.size());
    for (const std::uint64_t id : ids) {
      INFO("request " << id << " in a span at " << e["ts"].get<double>());
      REQUIRE(began.contains(id));
      CHECK(began[id] <= e["ts"].get<double>());
    }
  }
  CHECK(spans > 100);
}

TEST_CASE("run --json DIR and outputs in a missing folder are refused before the run",
          "[unit][files]") {
  test::TempDir dir;
  const auto s = small_scenario(dir);
  for (const auto& [option, path] : std::vector<std::pair<std::string, std::filesystem::path>>{
           {"--json", dir.path()},
           {"--csv", dir.path() / "no" / "r.csv"},
           {"--trace", dir.path() / "no" / "t.json"}}) {
    INFO(option);
    const CliResult r = cli({"run", s.string(), option, path.string()});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(option));
    CHECK_THAT(r.out, !Contains("throughput"));  // nothing was simulated
    CHECK(entries(dir.path()) == 1);             // the scenario only: no DIR.tmp
  }
}

TEST_CASE("run --json X --csv X is refused naming both options, whatever spelling of X",
          "[unit][files]") {
  test::TempDir dir;
  const auto s = small_scenario(dir);
  const auto x = dir.path() / "r.out";
  const auto same = dir.path() / "." / "r.out";
  const CliResult r = cli({"run", s.string(), "-q", "--json", x.string(), "--csv", same.string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("--json") && Contains("--csv"));
  CHECK_FALSE(std::filesystem::exists(x));
  const CliResult both = cli({"run", s.string(), "-q", "--json", "-", "--trace", "-"});
  CHECK(both.code == 2);
  CHECK_THAT(both.err, Contains("--json") && Contains("--trace"));
}

TEST_CASE("run --json - puts the JSON document alone on stdout, the summary on stderr",
          "[unit][files]") {
  test::TempDir dir;
  const auto s = small_scenario(dir);
  const CliResult r = cli({"run", s.string(), "--json", "-"});
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out).at("completed").get<int>() > 0);
  CHECK_THAT(r.err, Contains("throughput"));
  CHECK_FALSE(std::filesystem::exists("-"));  // no file named '-' in the working directory
  std::filesystem::remove("-");

  const CliResult csv =
      cli({"run", s.string(), "--csv", "-", "--json", (dir.path() / "r.json").string()});
  REQUIRE(csv.code == 0);
  CHECK(csv.out.rfind("Request Rate,Inferences/Second,", 0) == 0);
  CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 2);
  CHECK(std::filesystem::exists(dir.path() / "r.json"));
  CHECK_THAT(csv.err, Contains("wrote " + (dir.path() / "r.json").string()));

  const CliResult trace = cli({"run", s.string(), "-q", "--trace", "-"});
  REQUIRE(trace.code == 0);
  CHECK(nlohmann::json::parse(trace.out).contains("traceEvents"));
  CHECK_FALSE(std::filesystem::exists("-"));
  std::filesystem::remove("-");
}

TEST_CASE("amdahl --csv, report --out and plot --out are checked before any work",
          "[unit][files]") {
  test::TempDir dir;
  const auto s = small_scenario(dir);
  const CliResult am =
      cli({"amdahl", s.string(), "--stage", "serve", "--csv", dir.path().string()});
  CHECK(am.code == 2);
  CHECK_THAT(am.err, Contains("--csv"));
  CHECK(am.out.empty());  // no table: nothing was simulated
  const CliResult rep =
      cli({"report", s.string(), "--out", (dir.path() / "no" / "r.html").string()});
  CHECK(rep.code == 2);
  CHECK_THAT(rep.err, Contains("--out"));
  const auto csv = dir.write("r.csv", "x,y\n1,2\n2,3\n");
  const CliResult plot = cli({"plot", csv.string(), "--x", "x", "--y", "y", "--out",
                              (dir.path() / "no" / "p.png").string()});
  CHECK(plot.code == 2);
  CHECK_THAT(plot.err, Contains("--out"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "no"));
}

TEST_CASE("report --out - writes the HTML page to stdout", "[unit][files]") {
  test::TempDir dir;
  const CliResult r = cli({"report", small_scenario(dir).string(), "--out", "-"});
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_FALSE(std::filesystem::exists("-"));
  std::filesystem::remove("-");
}

}  // namespace
}  // namespace servesim
