// `servesim run`'s options: each one checked before any simulating, with a located error
// (exit 2, naming the option), and nothing written when one is wrong.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

struct CliResult {
  int code = 0;
  std::string out, err;
};

CliResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), "servesim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliResult r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

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

}  // namespace
}  // namespace servesim
