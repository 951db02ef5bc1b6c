// User errors of `report`, `compare`, `plan`, `amdahl` and `validate`, through the whole command
// line in process: each exits with kExitUsage and names where (the file and the member, or the
// option). A result document that is not what `servesim run --json` writes must never crash a
// reader.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/app/cli.h"
#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::TempDir;

using test::cli;
using test::CliResult;

/// A small CPU scenario: an open M/M/1-like stage, fast to simulate.
const std::string kUsageScenario = R"(
seed: 3
run: {duration: 5s, warmup: 1s, replications: 2}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 2}}
pipeline: [{name: serve, device: cpu, instances: 2, service: {dist: exponential, mean: 10ms}}]
)";

/// What `servesim run --json` writes for kUsageScenario (computed once).
const nlohmann::ordered_json& real_result() {
  static const nlohmann::ordered_json j = [] {
    const ScenarioParams p = parse_scenario(load_config_text(kUsageScenario, "<test>", "."));
    return summary_json(run_scenario(p, 1), resolved_config(p));
  }();
  return j;
}

/// The real result with the member at JSON pointer `at` replaced by the JSON text `value`.
nlohmann::ordered_json with(const std::string& at, const std::string& value) {
  nlohmann::ordered_json j = real_result();
  j[nlohmann::ordered_json::json_pointer(at)] = nlohmann::ordered_json::parse(value);
  return j;
}

/// Runs `verb` (report or compare) on `doc` saved as result.json; expects exit 2 and an error
/// that starts with the file and names `member`, with `fragment` in its message.
void expect_refused(const std::string& verb, const nlohmann::ordered_json& doc,
                    const std::string& member, const std::string& fragment) {
  TempDir dir;
  const auto file = dir.write("result.json", doc.dump(2));
  const auto other = dir.write("other.json", real_result().dump(2));
  const CliResult r =
      verb == "report" ? cli({"report", file.string(), "--out", (dir.path() / "r.html").string()})
                       : cli({"compare", file.string(), other.string()});
  INFO(verb << " stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, StartsWith(file.string() + ":"));
  CHECK_THAT(r.err, Contains("'" + member + "': " + fragment));
}

}  // namespace

TEST_CASE("report and compare read the result that servesim run --json writes", "[unit]") {
  TempDir dir;
  const auto file = dir.write("result.json", real_result().dump(2));
  CHECK(cli({"report", file.string(), "--out", (dir.path() / "r.html").string()}).code == kExitOk);
  CHECK(cli({"compare", file.string(), file.string()}).code == kExitOk);
}

TEST_CASE("compare's exit status: 3 outside --tolerance, 2 at different loads", "[unit]") {
  TempDir dir;
  const auto file = dir.write("result.json", real_result().dump(2));
  // The same result on both sides: inside any tolerance.
  CHECK(cli({"compare", file.string(), file.string(), "--tolerance", "thr=0%,p99=0%"}).code ==
        kExitOk);
  // Throughput 10% higher on B: outside 5%.
  const double x = real_result().at("throughput_rps").get<double>();
  const auto faster =
      dir.write("faster.json", with("/throughput_rps", std::to_string(1.1 * x)).dump());
  const CliResult outside =
      cli({"compare", file.string(), faster.string(), "--tolerance", "thr=5%"});
  CHECK(outside.code == kExitOutside);
  CHECK_THAT(outside.out, Contains("Inferences/Second at Request Rate 50: +10.0%, tolerance 5%"));
  // Another load on B: refused, unless paired in order.
  const auto other_load = dir.write("other.json", with("/config/workload/rate", "\"60/s\"").dump());
  const CliResult refused = cli({"compare", file.string(), other_load.string()});
  CHECK(refused.code == kExitUsage);
  CHECK_THAT(refused.err, Contains("A: Request Rate 50; B: Request Rate 60"));
  CHECK(cli({"compare", file.string(), other_load.string(), "--pair-by-order"}).code == kExitOk);
  CHECK(cli({"compare", file.string(), file.string(), "--tolerance", "speed=5%"}).code ==
        kExitUsage);
}

TEST_CASE("report and compare refuse a crafted result naming the bad member, never crash",
          "[unit]") {
  for (const std::string verb : {"report", "compare"}) {
    // The four documents of issue 14: a segfault, a heap overflow, a use after free, a segfault.
    auto crafted = with("/latency_ms", "{}");
    crafted["throughput_ci95"] = nlohmann::ordered_json::array();
    expect_refused(verb, crafted, "/throughput_ci95", "expected an array of 2 finite numbers");
    expect_refused(verb, with("/latency_ms", "{}"), "/latency_ms/mean",
                   "missing: expected a finite number");
    expect_refused(verb, with("/throughput_ci95", "[1]"), "/throughput_ci95",
                   "expected an array of 2 finite numbers");
    expect_refused(verb, with("/resources", R"([{"name": "x"}])"), "/resources/0/servers",
                   "missing: expected a finite number");
    expect_refused(verb, with("/resources", "[{}]"), "/resources/0/name",
                   "missing: expected a string");
    // Wrong types and shapes elsewhere.
    expect_refused(verb, with("/throughput_rps", R"("fast")"), "/throughput_rps",
                   "expected a finite number");
    expect_refused(verb, with("/stages/0/queue_ms", "null"), "/stages/0/queue_ms",
                   "expected a finite number");
    expect_refused(verb, with("/stages", "{}"), "/stages", "expected an array");
    expect_refused(verb, with("/laws/0", "3"), "/laws/0", "expected an object");
    expect_refused(verb, with("/throughput_bound_rps", R"("none")"), "/throughput_bound_rps",
                   "expected a finite number or null");
    expect_refused(verb, with("/completed", "-4"), "/completed", "expected an integer >= 0");
    expect_refused(verb, with("/warnings/0", "1"), "/warnings/0", "expected a string");
    expect_refused(verb, with("/config/workload/rate", R"("fast")"), "/config/workload/rate",
                   "expected a rate");
    nlohmann::ordered_json missing = real_result();
    missing.erase("bottleneck");
    expect_refused(verb, missing, "/bottleneck", "missing: expected a string");
    expect_refused(verb, nlohmann::ordered_json::array(), "/", "expected an object");
  }
}

TEST_CASE("a number too large for a double in a result names the file, line and column", "[unit]") {
  TempDir dir;
  std::string text = real_result().dump(2);
  const std::string key = "\"window_s\": ";
  const auto at = text.find(key) + key.size();
  text.replace(at, text.find(',', at) - at, "1e999");
  const auto file = dir.write("result.json", text);
  const CliResult r = cli({"report", file.string(), "--out", (dir.path() / "r.html").string()});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err,
             StartsWith(file.string() + ":" + std::to_string(test::line_of(text, "1e999")) + ":" +
                        std::to_string(test::col_of(text, "1e999")) + ": error: not valid JSON: "));
}

TEST_CASE("malformed JSON given to report or compare names the file, line and column", "[unit]") {
  TempDir dir;
  const auto file = dir.write("broken.json", "{\"completed\": 3,\n \"x\": [1,2,,]}");
  for (const auto& r : {cli({"report", file.string(), "--out", (dir.path() / "r.html").string()}),
                        cli({"compare", file.string(), file.string()})}) {
    INFO("stderr: " << r.err);
    CHECK(r.code == kExitUsage);
    // nlohmann stops at the second comma: line 2, column 12.
    CHECK_THAT(r.err, StartsWith(file.string() + ":2:12: error: not valid JSON: "));
    CHECK_THAT(r.err, Contains("unexpected ','"));
  }
}

namespace {

/// Runs `servesim plan` on kUsageScenario (a CPU-only node) with `args`; expects exit 2 with an
/// error located at `option` and no override plan made up shown as the user's.
void expect_plan_option_refused(std::vector<std::string> args, const std::string& option) {
  TempDir dir;
  args.insert(args.begin(), {"plan", dir.write("s.yaml", kUsageScenario).string()});
  const CliResult r = cli(args);
  INFO("plan " << args.back() << " stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, StartsWith(option + ":1:1: error: "));
  CHECK_THAT(r.err, !Contains("--set #"));
}

}  // namespace

TEST_CASE("plan's bad option values exit 2 naming the option, before anything runs", "[unit]") {
  const std::vector<std::string> ok_rate{"--target-rate", "100/s"}, ok_slo{"--slo", "p99=1s"};
  auto with = [](std::vector<std::string> a, std::vector<std::string> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // --gpus 0: the CPU-only scenario is a valid plan, so only the option under test can fail.
  const std::vector<std::string> cpu{"--gpus", "0"};
  expect_plan_option_refused(with({"--target-rate", "0/s"}, with(ok_slo, cpu)), "--target-rate");
  expect_plan_option_refused(with({"--target-rate", "-5/s"}, with(ok_slo, cpu)), "--target-rate");
  expect_plan_option_refused(with({"--target-rate", "fast"}, with(ok_slo, cpu)), "--target-rate");
  expect_plan_option_refused(with(ok_rate, with({"--slo", "p99=0s"}, cpu)), "--slo");
  expect_plan_option_refused(with(ok_rate, with({"--slo", "p42=1s"}, cpu)), "--slo");
  const auto both = with(ok_rate, ok_slo);
  expect_plan_option_refused(with(both, with({"--stage", "nosuch"}, cpu)), "--stage");
  expect_plan_option_refused(with(both, with({"--max-nodes", "-5"}, cpu)), "--max-nodes");
  expect_plan_option_refused(with(both, with({"--cost", "gpu=-1"}, cpu)), "--cost");
  expect_plan_option_refused(with(both, with({"--cores", "0"}, cpu)), "--cores");
  expect_plan_option_refused(with(both, with({"--instances", "0"}, cpu)), "--instances");
  expect_plan_option_refused(with(both, with({"--batch", "0"}, cpu)), "--batch");
  expect_plan_option_refused(with(both, with({"--delay", "soon"}, cpu)), "--delay");
  expect_plan_option_refused(with(both, {"--gpus", "-1"}), "--gpus");
}

TEST_CASE("plan on a CPU-only scenario says what the scenario lacks, not plan's own overrides",
          "[unit]") {
  // plan tries 1, 2, 4 and 8 GPUs per node unless told otherwise; this node has no PCIe links.
  TempDir dir;
  const auto file = dir.write("s.yaml", kUsageScenario);
  const CliResult r = cli({"plan", file.string(), "--target-rate", "100/s", "--slo", "p99=1s"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, StartsWith(file.string() + ":"));
  CHECK_THAT(r.err, Contains("'node.pcie'"));
  CHECK_THAT(r.err, Contains("--gpus 0"));
  CHECK_THAT(r.err, !Contains("--set #"));
}

TEST_CASE("a node plan makes up that the scenario refuses is named as plan's, not as a --set",
          "[unit]") {
  // No check of plan's own catches 2,000,000 cores; the scenario's range for node.cpu.cores does.
  TempDir dir;
  const auto file = dir.write("s.yaml", kUsageScenario);
  const CliResult r = cli({"plan", file.string(), "--target-rate", "100/s", "--slo", "p99=1s",
                           "--gpus", "0", "--cores", "2000000"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, StartsWith(file.string() + ":"));
  CHECK_THAT(r.err,
             Contains("'node.cpu.cores': plan cannot try a node of 0 GPUs, 2000000 CPU cores"));
  CHECK_THAT(r.err, !Contains("--set #"));
}

TEST_CASE("plan --gpus 0 on a scenario with a GPU stage names the option and the stage", "[unit]") {
  const CliResult r = cli({"plan", "--target-rate", "100/s", "--slo", "p99=1s", "--gpus", "0"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, StartsWith("--gpus:1:1: error: "));
  CHECK_THAT(r.err, Contains("'decode'"));
  CHECK_THAT(r.err, !Contains("--set #"));
}

TEST_CASE("amdahl's bad speedups and unknown stage exit 2 naming the option", "[unit]") {
  TempDir dir;
  const auto file = dir.write("s.yaml", kUsageScenario).string();
  for (const auto& [args, option] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--stage", "serve", "--speedups", "nan"}, "--speedups"},
           {{"--stage", "serve", "--speedups", "1,inf"}, "--speedups"},
           {{"--stage", "serve", "--speedups", "0"}, "--speedups"},
           {{"--stage", "nosuch"}, "--stage"}}) {
    std::vector<std::string> a{"amdahl", file};
    a.insert(a.end(), args.begin(), args.end());
    const CliResult r = cli(a);
    INFO("amdahl " << args.back() << " stderr: " << r.err);
    CHECK(r.code == kExitUsage);
    CHECK_THAT(r.err, StartsWith(option + ":1:1: error: "));
  }
}

}  // namespace servesim

namespace servesim {
namespace {

TEST_CASE("report, compare, plot and calib read only regular data files, and say why not",
          "[unit]") {
  // Before: /dev/zero made compare run out of memory (std::bad_alloc, exit 1) and a missing file
  // was reported at line 0, column 0.
  test::TempDir dir;
  const std::string good = dir.write("r.json", real_result().dump()).string();
  const std::string folder = dir.path().string();
  const std::string missing = (dir.path() / "none.csv").string();
  for (const auto& [bad, why] :
       {std::pair<std::string, std::string>{"/dev/zero", "not a regular file"},
        {folder, "is a directory, not a regular file"},
        {missing, "cannot open the file (No such file or directory)"}}) {
    const std::string out = (dir.path() / "o.html").string();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"report", bad, "--out", out},
          {"compare", good, bad},
          {"compare", bad, good},
          {"plot", bad, "--x", "a", "--y", "b", "--out", (dir.path() / "p.svg").string()},
          {"calib", "fit", bad, "--out", (dir.path() / "c.yaml").string()}}) {
      const test::CliResult r = test::cli(args);
      INFO(args[0] << " " << args[1] << ": " << r.err);
      CHECK(r.code == kExitUsage);
      CHECK_THAT(r.err, StartsWith(bad + ":1:1: error: "));
      CHECK_THAT(r.err, Contains(why));
    }
  }
}

TEST_CASE("validate --ingest takes direct or http, and http not with --broker", "[unit]") {
  TempDir dir;
  const std::string out = (dir.path() / "v").string();
  const CliResult bogus = cli({"validate", "--quick", "--ingest", "bogus", "--out", out});
  CHECK(bogus.code == kExitUsage);
  CHECK_THAT(bogus.err, Contains("--ingest"));
  CHECK_THAT(bogus.err, Contains("bogus"));
  const CliResult broker = cli({"validate", "--broker", "--ingest", "http", "--out", out});
  CHECK(broker.code == kExitUsage);
  CHECK_THAT(broker.err, Contains("--ingest http"));
  CHECK(bogus.out.empty());  // refused before any calibration
  CHECK(broker.out.empty());
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("validate --model takes calib's kernels or a network calib bench infer has", "[unit]") {
  TempDir dir;
  const std::string out = (dir.path() / "v").string();
  const CliResult r = cli({"validate", "--quick", "--model", "vgg19_tensorrt", "--out", out});
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, Contains("--model: 'vgg19_tensorrt' is not a kernel here (conv3x3, vit_tiny"));
  CHECK_THAT(r.err, Contains("vit_b16_eigen"));  // calib's Eigen ViT-B/16 is always built
  CHECK(r.out.empty());                          // refused before any calibration
  CHECK_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace servesim
