// The grammar every verb shares (docs/outputs.md): `--out FILE` whose format is its extension's
// or --format's (an unknown one is exit 2 naming the option), -q everywhere, `help VERB` as
// `VERB --help`, usage lines that say servesim, and the man page from the same definitions.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/app/cli.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::cli;
using test::CliResult;
using test::TempDir;

/// A small CPU scenario: fast to simulate, one stage `serve`.
const std::string kScenario =
    "seed: 3\nrun: {duration: 2s, warmup: 200ms, replications: 2}\n"
    "workload: {mode: open, rate: 50/s, arrival: poisson}\nnode: {cpu: {cores: 2}}\n"
    "pipeline: [{name: serve, device: cpu, instances: 2, "
    "service: {dist: exponential, mean: 10ms}}]\n";

std::string read(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Every verb, by the words that name it, as `servesim --help` and calib's help list them.
const std::vector<std::vector<std::string>> kVerbs{{"run"},
                                                   {"list"},
                                                   {"sweep"},
                                                   {"amdahl"},
                                                   {"compare"},
                                                   {"plan"},
                                                   {"plot"},
                                                   {"report"},
                                                   {"validate"},
                                                   {"calib", "bench"},
                                                   {"calib", "bench", "broker"},
                                                   {"calib", "bench", "net"},
                                                   {"calib", "bench", "memory"},
                                                   {"calib", "bench", "infer"},
                                                   {"calib", "bench", "stalls"},
                                                   {"calib", "bench", "slowdowns"},
                                                   {"calib", "fit"},
                                                   {"calib", "import", "trtexec"},
                                                   {"calib", "import", "perf-analyzer"},
                                                   {"calib", "holdout"},
                                                   {"calib", "repeat"},
                                                   {"calib", "show"}};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

}  // namespace

TEST_CASE("help VERB prints what VERB --help prints, for every verb", "[unit]") {
  for (const auto& verb : kVerbs) {
    INFO(verb.back());
    const CliResult help = cli(with({"help"}, verb));
    const CliResult flag = cli(with(verb, {"--help"}));
    CHECK(help.code == kExitOk);
    CHECK(help.out == flag.out);
    // The usage line names the program as servesim, whatever path ran it.
    std::string words;
    for (const auto& w : verb) words += " " + w;
    CHECK_THAT(help.out, Contains("Usage: servesim" + words + " [OPTIONS]"));
  }
  CHECK(cli({"help"}).out == cli({"--help"}).out);
  CHECK_THAT(cli({"--help"}).out, Contains("help"));
  const CliResult unknown = cli({"help", "nosuch"});
  CHECK(unknown.code == kExitUsage);
}

TEST_CASE("every verb takes -q and --out", "[unit]") {
  for (const auto& verb : kVerbs) {
    const std::string help = cli(with(verb, {"--help"})).out;
    INFO(verb.back() << ":\n" << help);
    CHECK_THAT(help, Contains("-q,--quiet"));
    CHECK_THAT(help, Contains("--out"));
  }
}

TEST_CASE("run --out writes the format of its extension, the same bytes as --json and --csv",
          "[unit]") {
  TempDir dir;
  const auto s = dir.write("s.yaml", kScenario).string();
  const auto p = [&](const std::string& name) { return (dir.path() / name).string(); };
  const CliResult plain = cli({"run", s, "--json", p("a.json"), "--csv", p("a.csv")});
  REQUIRE(plain.code == kExitOk);
  for (const std::string ext : {"json", "csv"}) {
    INFO(ext);
    REQUIRE(cli({"run", s, "-q", "--out", p("b." + ext)}).code == kExitOk);
    CHECK(read(p("b." + ext)) == read(p("a." + ext)));
  }
  // .txt and .md: the summary run prints, without the lines about what was written.
  const CliResult shown = cli({"run", s});
  for (const std::string ext : {"txt", "md"}) {
    INFO(ext);
    const CliResult r = cli({"run", s, "--out", p("b." + ext)});
    REQUIRE(r.code == kExitOk);
    CHECK(read(p("b." + ext)) == shown.out);
    CHECK_THAT(r.out, Contains("wrote " + p("b." + ext)));
  }
  // --format overrides the extension; -q leaves stdout empty and the file written.
  const CliResult q = cli({"run", s, "-q", "--out", p("c.data"), "--format", "json"});
  REQUIRE(q.code == kExitOk);
  CHECK(q.out.empty());
  CHECK(q.err.empty());
  CHECK(read(p("c.data")) == read(p("a.json")));
  // --verbose-csv lays out a CSV given by --out too, as it does --csv's.
  REQUIRE(cli({"run", s, "-q", "--verbose-csv", "--csv", p("v1.csv")}).code == kExitOk);
  REQUIRE(cli({"run", s, "-q", "--verbose-csv", "--out", p("v2.csv")}).code == kExitOk);
  CHECK(read(p("v1.csv")) == read(p("v2.csv")));
  const CliResult no_csv = cli({"run", s, "--verbose-csv", "--out", p("v.json")});
  CHECK(no_csv.code == kExitUsage);
  CHECK_THAT(no_csv.err, Contains("--verbose-csv"));
}

TEST_CASE("an --out with an unknown extension, or an unknown --format, is exit 2 naming them",
          "[unit]") {
  TempDir dir;
  const auto s = dir.write("s.yaml", kScenario).string();
  const auto bad = (dir.path() / "out.xyz").string();
  const std::vector<std::vector<std::string>> commands{
      {"run", s},
      {"amdahl", s, "--stage", "serve"},
      {"compare", dir.write("r.json", "{}").string(), dir.write("q.json", "{}").string()},
      {"plan", s, "--target-rate", "100/s", "--slo", "p99=1s", "--gpus", "0"},
      {"list", "hardware"},
      {"calib", "show", "nosuch.yaml"}};
  for (const auto& c : commands) {
    INFO(c.front());
    const CliResult r = cli(with(c, {"--out", bad}));
    CHECK(r.code == kExitUsage);
    CHECK_THAT(r.err, Contains("--out: '" + bad + "' has an unknown extension .xyz"));
    CHECK(!std::filesystem::exists(bad));
    const CliResult f = cli(with(c, {"--out", bad, "--format", "pdf"}));
    CHECK(f.code == kExitUsage);
    CHECK_THAT(f.err, Contains("--format: 'pdf' is not one of"));
  }
  // plot draws PNG or SVG, by the extension alone.
  const auto csv = dir.write("r.csv", "x,y\n1,2\n2,3\n").string();
  const CliResult plot = cli({"plot", csv, "--x", "x", "--y", "y", "--out", bad});
  CHECK(plot.code == kExitUsage);
  CHECK_THAT(plot.err, Contains("--out: '" + bad + "' has an unknown extension .xyz"));
  // A name with no extension at all, said so.
  const CliResult none = cli({"run", s, "--out", (dir.path() / "out").string()});
  CHECK(none.code == kExitUsage);
  CHECK_THAT(none.err, Contains("has no extension"));
}

TEST_CASE("amdahl --out writes its CSV or its table", "[unit]") {
  TempDir dir;
  const auto s = dir.write("s.yaml", kScenario).string();
  const auto p = [&](const std::string& name) { return (dir.path() / name).string(); };
  const std::vector<std::string> a{"amdahl", s, "--stage", "serve", "--speedups", "1,2"};
  const CliResult plain = cli(with(a, {"--csv", p("a.csv")}));
  REQUIRE(plain.code == kExitOk);
  REQUIRE(cli(with(a, {"--out", p("b.csv"), "-q"})).code == kExitOk);
  CHECK(read(p("b.csv")) == read(p("a.csv")));
  const CliResult table = cli(a);
  for (const std::string ext : {"txt", "md"}) {
    REQUIRE(cli(with(a, {"--out", p("b." + ext)})).code == kExitOk);
    CHECK(read(p("b." + ext)) == table.out);
  }
}

TEST_CASE("compare, list and calib show --out write what they print", "[unit]") {
  TempDir dir;
  const auto s = dir.write("s.yaml", kScenario).string();
  const auto p = [&](const std::string& name) { return (dir.path() / name).string(); };
  REQUIRE(cli({"run", s, "-q", "--json", p("a.json")}).code == kExitOk);
  const std::vector<std::vector<std::string>> commands{
      {"compare", p("a.json"), p("a.json")},
      {"list", "hardware"},
      {"calib", "show", std::string(SERVESIM_SOURCE_DIR) + "/configs/curves/a10.yaml"}};
  for (const auto& c : commands) {
    INFO(c.front());
    const CliResult shown = cli(c);
    REQUIRE(shown.code == kExitOk);
    for (const std::string ext : {"txt", "md"}) {
      const auto file = p(c.front() + "." + ext);
      const CliResult r = cli(with(c, {"--out", file}));
      REQUIRE(r.code == kExitOk);
      CHECK(r.out.empty());
      CHECK(read(file) == shown.out);
    }
    // -: standard output, the same text.
    CHECK(cli(with(c, {"--out", "-"})).out == shown.out);
  }
}

TEST_CASE("plan --out writes CSV, JSON, an HTML page or its report by the extension", "[unit]") {
  TempDir dir;
  const auto s = dir.write("s.yaml", kScenario).string();
  const auto p = [&](const std::string& name) { return (dir.path() / name).string(); };
  const std::vector<std::string> a{
      "plan", s, "--target-rate", "100/s", "--slo", "p99=1s", "--gpus", "0", "-q"};
  for (const std::string ext : {"csv", "json", "html", "txt", "md"}) {
    INFO(ext);
    const CliResult r = cli(with(a, {"--out", p("plan." + ext)}));
    REQUIRE(r.code == kExitOk);
    const std::string text = read(p("plan." + ext));
    if (ext == "json") CHECK_NOTHROW(nlohmann::json::parse(text));
    if (ext == "csv") CHECK(text.find(',') < text.find('\n'));
    // The page `report` makes of the plan's JSON (written just before), titled with the
    // scenario planned rather than the JSON's path.
    if (ext == "html") {
      std::string page = cli({"report", p("plan.json"), "--out", "-"}).out;
      REQUIRE(page.find(p("plan.json")) != std::string::npos);
      for (auto at = page.find(p("plan.json")); at != std::string::npos;
           at = page.find(p("plan.json")))
        page.replace(at, p("plan.json").size(), s);
      CHECK(text == page);
    }
    if (ext == "txt" || ext == "md") CHECK_THAT(r.out, StartsWith(text));
  }
}

TEST_CASE("quiet (-q) silences a verb's stderr, not its errors", "[unit]") {
  TempDir dir;
  // calib fit warns on stderr about a poor holdout; with -q it says nothing there, and a bad
  // input still says what is wrong.
  const CliResult missing =
      cli({"calib", "fit", "-q", "nosuch.csv", "--out", (dir.path() / "c.yaml").string()});
  CHECK(missing.code != kExitOk);
  CHECK_THAT(missing.err, Contains("nosuch.csv"));
  const CliResult list = cli({"list", "-q", "models"});
  CHECK(list.code == kExitOk);
  CHECK(list.err.empty());
  CHECK(!list.out.empty());
}

}  // namespace servesim
