// Hostile or broken scenario files through the whole command line, in process: each is exit
// status 2 with FILE:LINE:COL on stderr and nothing written, where it used to crash (stack
// overflow), exhaust memory, hang, or fail with exit 1 after writing part of an output.

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "sim/config/limits.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::col_of;
using test::line_of;
using test::TempDir;

/// A small valid scenario (2 s of simulated time at 10/s).
const std::string kLoaderValid =
    "run: {duration: 2s}\n"
    "workload: {mode: open, rate: 10/s}\n"
    "node: {cpu: {cores: 1}}\n"
    "pipeline: [{name: serve, device: cpu, service: {dist: exponential, mean: 10ms}}]\n";

using Result = test::CliResult;
const auto servesim = test::cli;

/// Exit 2, nothing on stdout, stderr starting with `where` and saying `fragment`.
void expect_error(const Result& r, const std::string& where, const std::string& fragment) {
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, StartsWith(where));
  CHECK_THAT(r.err, Contains(fragment));
}

/// "FILE:LINE:COL:" of `needle` in `text`, written at `file`.
std::string loader_where(const std::filesystem::path& file, const std::string& text,
                         const std::string& needle) {
  REQUIRE(line_of(text, needle) > 0);
  return file.string() + ":" + std::to_string(line_of(text, needle)) + ":" +
         std::to_string(col_of(text, needle)) + ":";
}

TEST_CASE("bad input: the 300-byte alias bomb of issue 14 exits 2 at the node budget", "[unit]") {
  TempDir dir;
  std::string text = "a: &a [x,x,x,x,x,x,x,x,x]\n";
  for (char l = 'b'; l <= 'i'; ++l) {
    text += std::string(1, l) + ": &" + l + " [";
    for (int i = 0; i < 9; ++i) text += (i ? ",*" : "*") + std::string(1, char(l - 1));
    text += "]\n";
  }
  const auto file = dir.write("bomb.yaml", text);
  expect_error(servesim({"run", file.string()}), file.string() + ":",
               std::to_string(kMaxConfigNodes) + " YAML nodes");
}

TEST_CASE("bad input: a self-referencing alias exits 2, in the file or in --set", "[unit]") {
  TempDir dir;
  const std::string text = "seed: &a [*a]\n" + kLoaderValid;
  const auto file = dir.write("self.yaml", text);
  expect_error(servesim({"run", file.string()}),
               file.string() + ":1:11:", "an alias inside the node its anchor names");
  const auto valid = dir.write("valid.yaml", kLoaderValid);
  expect_error(servesim({"run", valid.string(), "--set", "run=&a {duration: 5s, x: *a}"}),
               "--set #1", "an alias inside the node its anchor names");
}

TEST_CASE("bad input: an include diamond 25 files deep exits 2 at the file budget", "[unit]") {
  TempDir dir;
  for (int i = 0; i < 25; ++i) {
    const std::string next = "f" + std::to_string(i + 1) + ".yaml";
    dir.write("f" + std::to_string(i) + ".yaml", "include: [" + next + ", " + next + "]\n");
  }
  dir.write("f25.yaml", kLoaderValid);
  expect_error(servesim({"run", (dir.path() / "f0.yaml").string()}), dir.path().string(),
               std::to_string(kMaxIncludedFiles) + " files");
}

TEST_CASE("bad input: an include chain of 6000 files exits 2 at the include depth", "[unit]") {
  TempDir dir;
  for (int i = 0; i < 6000; ++i)
    dir.write("f" + std::to_string(i) + ".yaml", "include: f" + std::to_string(i + 1) + ".yaml\n");
  dir.write("f6000.yaml", kLoaderValid);
  const std::string last = "f" + std::to_string(kMaxIncludeDepth - 1) + ".yaml";
  expect_error(
      servesim({"run", (dir.path() / "f0.yaml").string()}),
      (dir.path() / last).string() + ":1:10:", std::to_string(kMaxIncludeDepth) + " files");
}

TEST_CASE("bad input: include of /dev/zero exits 2 without reading it", "[unit]") {
  TempDir dir;
  const std::string text = kLoaderValid + "include: /dev/zero\n";
  const auto file = dir.write("zero.yaml", text);
  expect_error(servesim({"run", file.string()}), loader_where(file, text, "/dev/zero"),
               "not a regular file");
}

TEST_CASE("bad input: a second YAML document exits 2 at its '---'", "[unit]") {
  TempDir dir;
  const std::string text = kLoaderValid + "---\nseed: 9\n";
  const auto file = dir.write("two.yaml", text);
  expect_error(servesim({"run", file.string()}), loader_where(file, text, "---"),
               "second YAML document");
}

TEST_CASE("bad input: a stage name that is not UTF-8 exits 2 before --json writes anything",
          "[unit]") {
  TempDir dir;
  std::string text = kLoaderValid;
  text.replace(text.find("serve"), 5, "se\xffrve");
  const auto file = dir.write("name.yaml", text);
  const auto json = dir.path() / "out.json";
  expect_error(servesim({"run", file.string(), "--json", json.string()}),
               loader_where(file, text, "se\xff"), "not valid UTF-8");
  CHECK_FALSE(std::filesystem::exists(json));
}

TEST_CASE("bad input: workload.rate 1e-300/s exits 2 naming the representable range", "[unit]") {
  TempDir dir;
  std::string text = kLoaderValid;
  text.replace(text.find("10/s"), 4, "1e-300/s");
  const auto file = dir.write("rate.yaml", text);
  expect_error(servesim({"run", file.string()}), loader_where(file, text, "1e-300/s"),
               "'workload.rate': ");
  CHECK_THAT(servesim({"run", file.string()}).err, Contains("1.1e-10/s"));
}

}  // namespace
}  // namespace servesim
