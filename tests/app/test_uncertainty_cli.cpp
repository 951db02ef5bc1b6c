// `servesim run --uncertainty N` end to end: the same bytes whatever -j, a result that its
// readers accept, and nothing changed without the flag.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "sim/metrics/result_schema.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

const char* const kBanded = R"(
seed: 3
run: {duration: 3s, warmup: 500ms, replications: 3}
workload: {mode: open, rate: 200/s}
node: {cpu: {cores: 2}}
pipeline:
  - {name: a, device: cpu, service: {curve: w}}
  - {name: b, device: cpu, instances: 2, service: {curve: v}}
curves:
  w: {form: constant, coef: {a: 2ms}, noise: {dist: gamma, cv: 0.5}, source: t,
      uncertainty: {rel: 0.3, source: "two sources 30% apart"}}
  v: {form: constant, coef: {a: 3ms}, source: t, uncertainty: {low: 0.8, high: 1.6, source: s}}
)";

std::string file_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// The text after the summary's first line (which names the scenario file).
std::string after_first_line(const std::string& s) { return s.substr(s.find('\n') + 1); }

}  // namespace

TEST_CASE("run --uncertainty writes the same JSON for -j 1 and -j 2, and its readers accept it",
          "[unit][threads]") {
  const test::TempDir tmp;
  const std::string file = tmp.write("banded.yaml", kBanded).string();
  std::string json[2];
  for (const int j : {1, 2}) {
    const auto out = tmp.path() / ("j" + std::to_string(j) + ".json");
    const test::CliResult r = test::cli(
        {"run", file, "--uncertainty", "5", "-j", std::to_string(j), "--json", out.string()});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Contains("Input uncertainty: 5 draw(s) of 2 banded curve(s)"));
    json[j - 1] = file_text(out);
  }
  CHECK(json[0] == json[1]);
  const nlohmann::ordered_json result = parse_result(json[0], "j1.json");
  REQUIRE(result.contains("uncertainty"));
  CHECK(result["uncertainty"]["draws"] == 5);
  CHECK(result["uncertainty"]["samples"].size() == 5);
  CHECK(result["uncertainty"]["curves"][0]["name"] == "v");  // by name
  CHECK(result["uncertainty"]["curves"][1]["low"] == 0.7);
  // The band is part of the resolved config, so a result re-runs with it.
  CHECK(result["config"]["curves"]["w"]["uncertainty"]["rel"] == 0.3);
}

TEST_CASE("without --uncertainty (or with 0) a banded scenario runs as it would without bands",
          "[unit]") {
  const test::TempDir tmp;
  std::string plain = kBanded;
  for (const char* band : {",\n      uncertainty: {rel: 0.3, source: \"two sources 30% apart\"}",
                           ", uncertainty: {low: 0.8, high: 1.6, source: s}"}) {
    const auto at = plain.find(band);
    REQUIRE(at != std::string::npos);
    plain.erase(at, std::string(band).size());
  }
  const std::string banded_file = tmp.write("banded.yaml", kBanded).string();
  const std::string plain_file = tmp.write("plain.yaml", plain).string();
  const test::CliResult a = test::cli({"run", banded_file, "-j", "1"});
  const test::CliResult b = test::cli({"run", banded_file, "-j", "1", "--uncertainty", "0"});
  const test::CliResult c = test::cli({"run", plain_file, "-j", "1"});
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(after_first_line(a.out) == after_first_line(c.out));
  CHECK_THAT(a.out, !Contains("uncertainty"));
}

}  // namespace servesim
