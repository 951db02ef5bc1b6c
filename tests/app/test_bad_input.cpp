// Bad input through the whole command line, in process: each class of user error exits with
// kExitUsage, prints nothing on stdout, and names the file:line:col and the key path on stderr.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/app/cli.h"
#include "sim/scenario/scenario.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::col_of;
using test::line_of;
using test::TempDir;

/// A small valid scenario (fast: 2 s of simulated time at 10/s); tests edit one line of it.
const std::string kValid =
    "seed: 7\n"
    "run:\n"
    "  duration: 2s\n"
    "  replications: 2\n"
    "workload:\n"
    "  mode: open\n"
    "  rate: 10/s\n"
    "  arrival: poisson\n"
    "node:\n"
    "  cpu:\n"
    "    cores: 1\n"
    "pipeline:\n"
    "  - name: serve\n"
    "    device: cpu\n"
    "    instances: 1\n"
    "    service:\n"
    "      dist: exponential\n"
    "      mean: 10ms\n";

/// kValid with the first occurrence of `from` replaced by `to`.
std::string edit(std::string_view from, std::string_view to, std::string text = kValid) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

using test::cli;
using test::CliResult;

/// Writes `text` to scenario.yaml in `dir` and runs `servesim run` on it.
CliResult run_text(const TempDir& dir, const std::string& text,
                   std::vector<std::string> extra = {}) {
  const auto path = dir.write("scenario.yaml", text);
  std::vector<std::string> args = {"run", path.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return cli(args);
}

/// The checks every config error shares: usage exit code, nothing on stdout, and stderr that
/// starts with `where` (e.g. "/tmp/.../scenario.yaml:3:3: ") and names the key path.
void expect_config_error(const CliResult& r, const std::string& where, const std::string& key,
                         const std::string& fragment) {
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, StartsWith(where + " error: "));
  if (!key.empty()) CHECK_THAT(r.err, Contains("error: '" + key + "': "));
  CHECK_THAT(r.err, Contains(fragment));
}

/// "FILE:LINE:COL:" of `needle` in `text` written to scenario.yaml in `dir`.
std::string where(const TempDir& dir, const std::string& text, std::string_view needle) {
  REQUIRE(line_of(text, needle) > 0);
  return (dir.path() / "scenario.yaml").string() + ":" + std::to_string(line_of(text, needle)) +
         ":" + std::to_string(col_of(text, needle)) + ":";
}

TEST_CASE("a valid minimal scenario runs and exits 0", "[unit]") {
  TempDir dir;
  const CliResult r = run_text(dir, kValid, {"-j", "2"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitOk);
  CHECK(r.err.empty());
  CHECK_FALSE(r.out.empty());
}

TEST_CASE("bad input: an unknown key names file:line:col, the key path and a did-you-mean",
          "[unit]") {
  TempDir dir;
  const std::string text = edit("  duration: 2s", "  duraton: 2s");
  expect_config_error(run_text(dir, text), where(dir, text, "duraton"), "run.duraton",
                      "unknown key; did you mean 'duration'?");
}

TEST_CASE("bad input: an unknown top-level key lists the known keys when nothing is close",
          "[unit]") {
  TempDir dir;
  const std::string text = kValid + "zzzzzzzz: 1\n";
  expect_config_error(run_text(dir, text), where(dir, text, "zzzzzzzz"), "zzzzzzzz",
                      "known keys here: ");
}

TEST_CASE("bad input: a map where a number is expected is a type error at the map", "[unit]") {
  TempDir dir;
  const std::string text = edit("seed: 7", "seed: {value: 7}");
  expect_config_error(run_text(dir, text), where(dir, text, "{value"), "seed",
                      "expected a whole number, got a map");
}

TEST_CASE("bad input: a word where an integer is expected is a type error", "[unit]") {
  TempDir dir;
  const std::string text = edit("    instances: 1", "    instances: four");
  expect_config_error(run_text(dir, text), where(dir, text, "four"), "pipeline.serve.instances",
                      "expected a whole number, got 'four'");
}

TEST_CASE("bad input: a list where a map is expected is a type error", "[unit]") {
  TempDir dir;
  const std::string text = edit("  cpu:\n    cores: 1", "  cpu: [1]");
  expect_config_error(run_text(dir, text), where(dir, text, "[1]"), "node.cpu",
                      "expected a map of keys here, got a list");
}

TEST_CASE("bad input: a negative duration is rejected", "[unit]") {
  TempDir dir;
  const std::string text = edit("  duration: 2s", "  duration: -5s");
  expect_config_error(run_text(dir, text), where(dir, text, "-5s"), "run.duration",
                      "must be > 0, got '-5s'");
}

TEST_CASE("bad input: a zero duration is rejected", "[unit]") {
  TempDir dir;
  const std::string text = edit("  duration: 2s", "  duration: 0s");
  expect_config_error(run_text(dir, text), where(dir, text, "0s"), "run.duration",
                      "must be > 0, got '0s'");
}

TEST_CASE("bad input: a zero or negative rate is rejected", "[unit]") {
  TempDir dir;
  const std::string zero = edit("  rate: 10/s", "  rate: 0/s");
  expect_config_error(run_text(dir, zero), where(dir, zero, "0/s"), "workload.rate",
                      "must be > 0, got '0/s'");
  const std::string negative = edit("  rate: 10/s", "  rate: -10/s");
  expect_config_error(run_text(dir, negative), where(dir, negative, "-10/s"), "workload.rate",
                      "must be > 0, got '-10/s'");
}

TEST_CASE("bad input: a duration beyond the int64-nanosecond clock is an overflow error",
          "[unit]") {
  TempDir dir;
  const std::string text = edit("  duration: 2s", "  duration: 1e12s");
  expect_config_error(run_text(dir, text), where(dir, text, "1e12s"), "run.duration",
                      "overflows servesim's clock");
  // Larger than a double holds: out of range, still a config error.
  const std::string huge = edit("  duration: 2s", "  duration: 1e999s");
  expect_config_error(run_text(dir, huge), where(dir, huge, "1e999s"), "run.duration",
                      "out of range");
}

TEST_CASE("bad input: an integer beyond its range is rejected", "[unit]") {
  TempDir dir;
  const std::string text = edit("  replications: 2", "  replications: 1e30");
  expect_config_error(run_text(dir, text), where(dir, text, "1e30"), "run.replications",
                      "must be between 1 and 100000");
}

TEST_CASE("bad input: NaN written as .nan or nan is rejected", "[unit]") {
  TempDir dir;
  const std::string dot_nan = edit("  duration: 2s", "  duration: .nan");
  expect_config_error(run_text(dir, dot_nan), where(dir, dot_nan, ".nan"), "run.duration",
                      "got '.nan'");
  const std::string nan = edit("  duration: 2s", "  duration: nan");
  expect_config_error(run_text(dir, nan), where(dir, nan, "nan"), "run.duration",
                      "'nan' is not a finite number");
  // In a plain number (a cv) too.
  const std::string cv = edit("      dist: exponential", "      dist: gamma\n      cv: .nan");
  expect_config_error(run_text(dir, cv), where(dir, cv, ".nan"), "pipeline.serve.service.cv",
                      "expected a finite number, got '.nan'");
}

TEST_CASE("bad input: an unknown distribution name lists the names and suggests the closest",
          "[unit]") {
  TempDir dir;
  const std::string text = edit("dist: exponential", "dist: exponentail");
  expect_config_error(run_text(dir, text), where(dir, text, "exponentail"),
                      "pipeline.serve.service.dist", "did you mean 'exponential'?");
  CHECK_THAT(run_text(dir, text).err, Contains("lognormal"));
}

TEST_CASE("bad input: an impossible distribution (erlang cv 0.6) is a config error at the cv",
          "[unit]") {
  TempDir dir;
  const std::string text = edit("      dist: exponential", "      dist: erlang\n      cv: 0.6");
  expect_config_error(run_text(dir, text), where(dir, text, "0.6"), "pipeline.serve.service.cv",
                      "whole number of phases");
}

TEST_CASE("bad input: a missing required key names the key and the parent map's position",
          "[unit]") {
  TempDir dir;
  // Reported at the key that holds the map ("workload:"), not at the map's first key.
  const std::string no_rate = edit("  rate: 10/s\n", "");
  expect_config_error(run_text(dir, no_rate), where(dir, no_rate, "workload:"), "workload.rate",
                      "required key is missing in 'workload'");

  // The same for a flow map: at its key.
  const std::string flow = edit("  cpu:\n    cores: 1", "  cpu: {speed: 2}");
  expect_config_error(run_text(dir, flow), where(dir, flow, "cpu: {speed"), "node.cpu.cores",
                      "required key is missing in 'node.cpu'");

  // A missing top-level key points at the document's start.
  const std::string no_pipeline = kValid.substr(0, kValid.find("pipeline:"));
  expect_config_error(run_text(dir, no_pipeline), where(dir, no_pipeline, "seed"), "pipeline",
                      "required key is missing");
}

TEST_CASE("bad input: values that would stop simulated time are config errors, not hangs",
          "[unit]") {
  TempDir dir;
  // Arrivals under 1 ns apart round to the same instant.
  const std::string fast = edit("rate: 10/s", "rate: 3e9/s");
  expect_config_error(run_text(dir, fast), where(dir, fast, "3e9/s"), "workload.rate",
                      "below servesim's clock resolution");
  // A closed loop with zero service and no think time never advances the clock.
  const std::string zero =
      edit("  mode: open\n  rate: 10/s\n  arrival: poisson\n", "  mode: closed\n  concurrency: 2\n",
           edit("      dist: exponential\n      mean: 10ms\n",
                "      dist: empirical\n      samples: [0ns]\n"));
  expect_config_error(run_text(dir, zero), where(dir, zero, "mode: closed"), "workload",
                      "never lets time pass");
  // A CPU so slow that one service time overflows the clock.
  const std::string slow = edit("    cores: 1", "    cores: 1\n    speed: 1e-12");
  expect_config_error(run_text(dir, slow), where(dir, slow, "1e-12"), "node.cpu.speed",
                      "must be between");
}

TEST_CASE("bad input: an include cycle names the chain of files", "[unit]") {
  TempDir dir;
  dir.write("other.yaml", "include: scenario.yaml\n");
  const std::string text = "include: other.yaml\n" + kValid;
  const CliResult r = run_text(dir, text);
  const std::string other = (dir.path() / "other.yaml").string();
  expect_config_error(r, other + ":1:10:", "include",
                      "include cycle: scenario.yaml -> other.yaml -> scenario.yaml");
}

TEST_CASE("bad input: a missing include file names the path at the include line", "[unit]") {
  TempDir dir;
  const std::string text = kValid + "include: [hardware/none.yaml]\n";
  expect_config_error(run_text(dir, text), where(dir, text, "hardware/none.yaml"), "include",
                      "cannot open included file '" + (dir.path() / "hardware/none.yaml").string());
}

TEST_CASE("bad input: malformed YAML reports the line and column of the syntax error", "[unit]") {
  TempDir dir;
  // "rate: 10/s: 5" has a second ':' where yaml-cpp finds an illegal map value.
  const std::string value = edit("  rate: 10/s", "  rate: 10/s: 5");
  expect_config_error(run_text(dir, value), where(dir, value, ": 5"), "",
                      "YAML syntax: illegal map value");
  // A key indented less than its siblings ends the map: error at that line, column 2.
  const std::string indent = edit("  replications: 2", " replications: 2");
  expect_config_error(run_text(dir, indent), where(dir, indent, "replications"), "", "YAML syntax");
}

TEST_CASE("bad input: --set without '=' names the argument", "[unit]") {
  TempDir dir;
  expect_config_error(run_text(dir, kValid, {"--set", "run.duration"}),
                      "--set #1:1:1:", "run.duration", "expected --set path.to.key=value");
}

TEST_CASE("bad input: --set with an unknown stage name lists the stages", "[unit]") {
  TempDir dir;
  expect_config_error(run_text(dir, kValid, {"--set", "pipeline.serv.device=cpu"}),
                      "--set #1:1:10:", "pipeline.serv", "(names: serve)");
}

TEST_CASE("bad input: an unknown key via --set names '--set #N' and suggests the key", "[unit]") {
  TempDir dir;
  const CliResult r =
      run_text(dir, kValid, {"--set", "run.duration=3s", "--set", "run.duraton=3s"});
  expect_config_error(r, "--set #2:1:5:", "run.duraton", "did you mean 'duration'?");
}

TEST_CASE("bad input: a bad value via --set points into the argument", "[unit]") {
  TempDir dir;
  const std::string arg = "workload.rate=-5/s";
  expect_config_error(run_text(dir, kValid, {"--set", arg}),
                      "--set #1 (" + arg + "):1:" + std::to_string(col_of(arg, "-5/s")) + ":",
                      "workload.rate", "must be > 0");
}

TEST_CASE("bad input: an unknown command-line option exits 2", "[unit]") {
  TempDir dir;
  const CliResult r = run_text(dir, kValid, {"--bogus"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("--bogus"));
}

TEST_CASE("bad input: an unknown verb or no verb exits 2", "[unit]") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"frobnicate"}, std::vector<std::string>{}}) {
    const CliResult r = cli(args);
    INFO("stderr: " << r.err);
    CHECK(r.code == kExitUsage);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains("servesim --help"));
  }
}

TEST_CASE("bad input: an unknown verb is named in the message", "[unit]") {
  const CliResult r = cli({"frobnicate"});
  CHECK(r.code == kExitUsage);
  CHECK_THAT(r.err, Contains("frobnicate"));
}

TEST_CASE("bad input: a nonexistent scenario file exits 2 naming the path", "[unit]") {
  TempDir dir;
  const std::string path = (dir.path() / "no-such-scenario.yaml").string();
  expect_config_error(cli({"run", path}), path + ":1:1:", "", "cannot open the file");
}

}  // namespace
}  // namespace servesim

namespace servesim {
namespace {

using test::TempDir;

/// A node with one GPU, a curve and a model, for the node model's errors.
const std::string kGpuValid =
    "run: {duration: 1s}\n"
    "workload: {mode: closed, concurrency: 2, images: medium}\n"
    "node:\n"
    "  cpu: {cores: 2}\n"
    "  gpus: {count: 1, nvjpg_engines: 0}\n"
    "  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 25GB/s}}\n"
    "curves:\n"
    "  infer_curve: {inputs: [batch], form: affine, coef: {a: 1ms, b: 0.1ms}, source: test}\n"
    "models:\n"
    "  vit: {input: {width: 224, height: 224, channels: 3, dtype: float16}, source: test}\n"
    "pipeline:\n"
    "  - name: infer\n"
    "    device: gpu\n"
    "    batching: {max_batch_size: 8}\n"
    "    service: {curve: infer_curve}\n"
    "    output: {input_of: vit}\n";

}  // namespace

TEST_CASE("the GPU node scenario used by the node-model error tests is valid", "[unit]") {
  TempDir dir;
  const CliResult r = run_text(dir, kGpuValid, {"-q"});
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitOk);
}

TEST_CASE("bad input: an unknown curve names the stage's curve key and a did-you-mean", "[unit]") {
  TempDir dir;
  const std::string text = edit("{curve: infer_curve}", "{curve: infer_curv}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "infer_curv}"),
                      "pipeline.infer.service.curve", "did you mean 'infer_curve'?");
}

TEST_CASE("bad input: an unknown model in an output names the key and a did-you-mean", "[unit]") {
  TempDir dir;
  const std::string text = edit("{input_of: vit}", "{input_of: vtt}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "vtt"),
                      "pipeline.infer.output.input_of", "did you mean 'vit'?");
}

TEST_CASE("bad input: a gpu stage on a node without GPUs says which key to set", "[unit]") {
  TempDir dir;
  const std::string text = edit("{count: 1, nvjpg_engines: 0}", "{count: 0}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "gpu\n"), "pipeline.infer.device",
                      "set node.gpus.count");
}

TEST_CASE("bad input: an nvjpg stage on a GPU without NVJPG engines is refused", "[unit]") {
  TempDir dir;
  const std::string text = edit("    device: gpu", "    device: nvjpg", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "nvjpg\n"), "pipeline.infer.device",
                      "nvjpg_engines > 0");
}

TEST_CASE("bad input: a preferred batch size above max_batch_size names its value", "[unit]") {
  TempDir dir;
  const std::string text =
      edit("{max_batch_size: 8}", "{max_batch_size: 8, preferred_batch_size: [4, 16]}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "16]"),
                      "pipeline.infer.batching.preferred_batch_size", "got '16'");
}

TEST_CASE("bad input: a GPU node without pcie links is refused at gpus", "[unit]") {
  TempDir dir;
  const std::string text = edit(
      "  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 25GB/s}}\n", "", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "{count: 1"), "node.gpus",
                      "needs node.pcie");
}

TEST_CASE("bad input: an unknown image name lists the built-in ones and a did-you-mean", "[unit]") {
  TempDir dir;
  const std::string text = edit("images: medium", "images: meduim", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "meduim"), "workload.images",
                      "did you mean 'medium'?");
}

TEST_CASE("bad input: a batcher that refuses with nothing before it needs a think_time", "[unit]") {
  // Without it, a refused request's client would resend in the same instant forever.
  TempDir dir;
  const std::string text =
      edit("{max_batch_size: 8}", "{max_batch_size: 8, max_queue_size: 1}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "{mode: closed"), "workload.think_time",
                      "resend a refused request in the same instant");
}

TEST_CASE("bad input: a memory reservation at or above capacity is refused", "[unit]") {
  TempDir dir;
  const std::string text = edit("{count: 1, nvjpg_engines: 0}",
                                "{count: 1, memory: 1GB, reserved_memory: 2GB}", kGpuValid);
  expect_config_error(run_text(dir, text), where(dir, text, "2GB"), "node.gpus.reserved_memory",
                      "less than memory");
}

}  // namespace servesim

namespace servesim {

TEST_CASE("bad input: a bad cell of an image-size CSV names the CSV's line and column", "[unit]") {
  TempDir dir;
  dir.write("sizes.csv", "width,height,bytes\n60,70,4000\n500, x,121000\n");
  // The CSV is found next to the scenario that names it.
  const std::string text = edit("images: medium", "images: {csv: sizes.csv}", kGpuValid);
  const CliResult r = run_text(dir, text);
  expect_config_error(r, (dir.path() / "sizes.csv").string() + ":3:6:", "workload.images.csv",
                      "'height' must be a number >= 1, got 'x'");
}

TEST_CASE("bad input: an image-size CSV naming a column twice is refused at the repeat", "[unit]") {
  // Found by fuzz_image_csv: the row was checked against the header's distinct names (3), not its
  // cells (4), so a short row was read past its end (a crash under ASan).
  TempDir dir;
  dir.write("sizes.csv", "width,width,height,bytes\n60,70,4000\n");
  const std::string text = edit("images: medium", "images: {csv: sizes.csv}", kGpuValid);
  expect_config_error(run_text(dir, text),
                      (dir.path() / "sizes.csv").string() + ":1:7:", "workload.images.csv",
                      "the header names the column 'width' twice");
  dir.write("sizes.csv", "width,height,bytes,name\n60,70,4000\n");
  expect_config_error(run_text(dir, text),
                      (dir.path() / "sizes.csv").string() + ":2:1:", "workload.images.csv",
                      "expected 4 cells as in the header, got 3");
}

TEST_CASE("an image-size CSV is an empirical mix: each row an image, weighted by its column",
          "[unit]") {
  TempDir dir;
  dir.write("sizes.csv", "name,width,height,bytes,weight\na,60,70,4000,1\nb,500,375,121000,3\n");
  const auto path =
      dir.write("s.yaml", edit("images: medium", "images: {csv: sizes.csv}", kGpuValid));
  const LoadedScenario sc = load_scenario(path, {});
  REQUIRE(sc.params.workload.images.size() == 2);
  CHECK(sc.params.workload.images[1].name == "b");
  CHECK(sc.params.workload.images[1].width == 500);
  CHECK(sc.params.workload.images[1].bytes == 121000);
  CHECK(sc.params.workload.images[1].weight == 3);
}

}  // namespace servesim
