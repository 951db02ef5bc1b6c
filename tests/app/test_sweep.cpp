// `servesim sweep`: the grid, the files it writes, determinism for any -j, and resuming a sweep
// that was killed, for real and by cutting its journal.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/run/sweep.h"
#include "tests/support/cli.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// The exit code of `servesim ARGS...`; its stderr into `err_text` if given.
int exit_code(std::vector<std::string> args, std::string* err_text = nullptr) {
  const test::CliResult r = test::cli(std::move(args));
  if (err_text) *err_text = r.err;
  return r.code;
}

// 3 x 4 = 12 small points of an M/M/c queue.
const std::string kSweepScenario = R"(
seed: 5
run: {duration: 50s, warmup: 5s, replications: 2}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline: [{name: serve, device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}]
)";

std::vector<std::string> sweep_args(const std::filesystem::path& scenario,
                                    const std::filesystem::path& out, const char* jobs) {
  return {"sweep",  scenario.string(),
          "--grid", "workload.rate=40/s:80/s:20/s",
          "--grid", "pipeline.serve.instances=4,5,6,7",
          "--out",  out.string(),
          "-j",     jobs,
          "-q"};
}

}  // namespace

TEST_CASE("grid values: lists split outside brackets, ranges with one unit", "[unit][sweep]") {
  CHECK(parse_grid_arg("workload.rate=100/s:300/s:100/s", 1).values ==
        std::vector<std::string>{"100/s", "200/s", "300/s"});
  CHECK(parse_grid_arg("node.gpus.count=1:8:1", 1).values.size() == 8);
  CHECK(parse_grid_arg("workload.images=[small],[medium, large]", 1).values ==
        std::vector<std::string>{"[small]", "[medium, large]"});
  CHECK(parse_grid_arg("cluster={nodes: 2, balancer: {policy: random}}", 1).values.size() == 1);
  try {
    parse_grid_arg("workload.rate=100/s:3:100/s", 2);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK_THAT(std::string(e.what()), StartsWith("--grid #2:1:15: error: 'workload.rate': "));
    CHECK_THAT(std::string(e.what()), Contains("same unit"));
  }
}

TEST_CASE("a sweep writes every point in grid order, byte-identical for -j 1 and -j 2",
          "[unit][sweep][threads]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  REQUIRE(exit_code(sweep_args(scenario, dir.path() / "a.csv", "1")) == kExitOk);
  REQUIRE(exit_code(sweep_args(scenario, dir.path() / "b.csv", "2")) == kExitOk);
  const std::string a = slurp(dir.path() / "a.csv");
  CHECK(a == slurp(dir.path() / "b.csv"));
  CHECK(slurp(dir.path() / "a.jsonl") == slurp(dir.path() / "b.jsonl"));
  // A header and 12 rows in perf_analyzer's layout: its 13 columns, then the grid keys, then
  // servesim's; rows in order of increasing Inferences/Second, as perf_analyzer sorts them.
  std::istringstream lines(a);
  std::vector<std::vector<std::string>> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(split_csv(l));
  REQUIRE(rows.size() == 13);
  REQUIRE(rows[0].size() > 16);
  CHECK(rows[0][0] == "Request Rate");
  CHECK(rows[0][1] == "Inferences/Second");
  CHECK(rows[0][12] == "p99 latency");
  CHECK(rows[0][13] == "workload.rate");
  CHECK(rows[0][14] == "pipeline.serve.instances");
  CHECK(rows[0][15] == "Avg latency");
  std::vector<std::string> points;  // every grid point once
  for (std::size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == rows[0].size());
    points.push_back(rows[i][13] + " " + rows[i][14]);
    if (i > 1) CHECK(std::stod(rows[i - 1][1]) <= std::stod(rows[i][1]));
    // 40, 60 and 80 per second: the throughputs of one rate lie below the next rate's.
    const char* rate = i <= 4 ? "40/s" : i <= 8 ? "60/s" : "80/s";
    CHECK(rows[i][13] == rate);
    CHECK(rows[i][0] == std::string(rate).substr(0, 2));
  }
  std::sort(points.begin(), points.end());
  CHECK(std::unique(points.begin(), points.end()) == points.end());
}

TEST_CASE("a sweep never overwrites results unless told to --resume", "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  const auto out = dir.path() / "r.csv";
  REQUIRE(exit_code(sweep_args(scenario, out, "2")) == kExitOk);
  std::string err;
  CHECK(exit_code(sweep_args(scenario, out, "2"), &err) ==
        kExitUsage);  // was exit 1, no option named
  CHECK_THAT(err, Contains("--out:1:1: error: "));
  CHECK_THAT(err, Contains("pass --resume"));
}

namespace {

/// The points a sweep's JSON lines hold (its header line aside).
long journalled_points(const std::filesystem::path& jsonl) {
  const std::string text = slurp(jsonl);
  long n = 0;
  for (std::size_t at = 0; (at = text.find("{\"point\":", at)) != std::string::npos; ++at) ++n;
  return n;
}

}  // namespace

TEST_CASE("a resume refuses a journal made with another scenario, --set or grid, naming which",
          "[unit][sweep]") {
  TempDir dir;
  // The scenario includes a file, so that "the scenario" means its text after includes.
  dir.write("base.yaml", "seed: 5\n");
  std::string with_include = kSweepScenario;
  with_include.replace(with_include.find("seed: 5"), 7, "include: base.yaml");
  const auto scenario = dir.write("s.yaml", with_include);
  const auto out = dir.path() / "r.csv";
  auto args = sweep_args(scenario, out, "2");
  args.insert(args.end(), {"--set", "run.warmup=5s", "--set", "workload.arrival=poisson"});
  REQUIRE(exit_code(args) == kExitOk);
  args.push_back("--resume");
  const std::string at = (dir.path() / "r.jsonl").string() + ":1:1: error: ";
  std::string err;
  SECTION("the same scenario, --set and grid resume (nothing is left to simulate)") {
    CHECK(exit_code(args, &err) == kExitOk);
    // Reformatting the scenario (comments, spacing) changes nothing it means.
    dir.write("s.yaml", "# a comment\n" + with_include);
    CHECK(exit_code(args, &err) == kExitOk);
  }
  SECTION("the scenario differs in a file it includes") {
    dir.write("base.yaml", "seed: 6\n");
    CHECK(exit_code(args, &err) == kExitUsage);
    CHECK_THAT(err, StartsWith(at));
    CHECK_THAT(err, Contains("another scenario"));
    CHECK_THAT(err, !Contains("--set overrides") && !Contains("another grid"));
  }
  SECTION("the --set overrides differ (in order, too)") {
    std::swap(args[12], args[14]);
    CHECK(exit_code(args, &err) == kExitUsage);
    CHECK_THAT(err, StartsWith(at));
    CHECK_THAT(err, Contains("other --set overrides"));
    CHECK_THAT(err, Contains("--set run.warmup=5s --set workload.arrival=poisson"));
    CHECK_THAT(err, Contains("--set workload.arrival=poisson --set run.warmup=5s"));
    CHECK_THAT(err, !Contains("another scenario") && !Contains("another grid"));
  }
  SECTION("the grid differs") {
    args[3] = "workload.rate=40/s:80/s:10/s";
    CHECK(exit_code(args, &err) == kExitUsage);
    CHECK_THAT(err, StartsWith(at));
    CHECK_THAT(err, Contains("another grid"));
    CHECK_THAT(err, Contains("20 points"));
    CHECK_THAT(err, !Contains("another scenario") && !Contains("--set overrides"));
  }
}

TEST_CASE("sweep --uncertainty adds the draws' columns at every point, and a resume checks it",
          "[unit][sweep][threads]") {
  TempDir dir;
  std::string banded = kSweepScenario;
  banded.replace(banded.find("{dist: exponential, mean: 40ms}"), 31, "{curve: s}");
  banded +=
      "curves:\n  s: {form: constant, coef: {a: 40ms}, noise: {dist: gamma, cv: 1}, "
      "source: t, uncertainty: {rel: 0.2, source: t}}\n";
  const auto scenario = dir.write("s.yaml", banded);
  auto args_a = sweep_args(scenario, dir.path() / "a.csv", "1");
  auto args_b = sweep_args(scenario, dir.path() / "b.csv", "2");
  for (auto* a : {&args_a, &args_b}) a->insert(a->end(), {"--uncertainty", "3"});
  REQUIRE(exit_code(args_a) == kExitOk);
  REQUIRE(exit_code(args_b) == kExitOk);
  const std::string a = slurp(dir.path() / "a.csv");
  CHECK(a == slurp(dir.path() / "b.csv"));
  CHECK(slurp(dir.path() / "a.jsonl") == slurp(dir.path() / "b.jsonl"));
  const std::string header = a.substr(0, a.find('\n'));
  for (const char* c : {",Inferences/Second p5 over draws,Inferences/Second p50 over draws,"
                        "Inferences/Second p95 over draws,Avg latency p5 over draws,",
                        ",p99 latency p95 over draws"})
    CHECK_THAT(header, Contains(c));
  // Resumed with another --uncertainty (or none), the journal is refused, naming it.
  std::string err;
  args_a.back() = "5";
  args_a.push_back("--resume");
  CHECK(exit_code(args_a, &err) == kExitUsage);
  CHECK_THAT(err, Contains("another --uncertainty (then: 3; now: 5"));
  args_a.erase(args_a.end() - 3, args_a.end() - 1);
  CHECK(exit_code(args_a, &err) == kExitUsage);
  CHECK_THAT(err, Contains("another --uncertainty (then: 3; now: null"));
}

TEST_CASE("a resume refuses a journal without the header that says what made it", "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  REQUIRE(exit_code(sweep_args(scenario, dir.path() / "new.csv", "2")) == kExitOk);
  // A journal as servesim wrote them before the header: the point lines alone.
  std::string old = slurp(dir.path() / "new.jsonl");
  if (old.rfind("{\"sweep\":", 0) == 0) old.erase(0, old.find('\n') + 1);
  dir.write("old.jsonl", old);
  auto args = sweep_args(scenario, dir.path() / "old.csv", "2");
  args.push_back("--resume");
  std::string err;
  CHECK(exit_code(args, &err) == kExitUsage);
  CHECK_THAT(err, StartsWith((dir.path() / "old.jsonl").string() + ":1:1: error: "));
  CHECK_THAT(err, Contains("no header"));
}

TEST_CASE("a resume refuses a journal of the other CSV layout, or of format 1", "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  const auto out = dir.path() / "r.csv";
  REQUIRE(exit_code(sweep_args(scenario, out, "2")) == kExitOk);
  auto args = sweep_args(scenario, out, "2");
  args.insert(args.end(), {"--resume", "--verbose-csv"});
  std::string err;
  CHECK(exit_code(args, &err) == kExitUsage);
  CHECK_THAT(err, Contains("another CSV layout (then: plain)"));
  // Format 1 journals hold rows in the layout before perf_analyzer's: not resumed.
  std::string journal = slurp(jsonl_path(out));
  const auto at = journal.find("\"format\":2");
  REQUIRE(at != std::string::npos);
  journal.replace(at, 10, "\"format\":1");
  dir.write("r.jsonl", journal);
  args.pop_back();
  CHECK(exit_code(args, &err) == kExitUsage);
  CHECK_THAT(err, Contains("no header of this servesim's format"));
}

TEST_CASE("a grid over the point limit is refused at the option that passes it, with its count",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  const auto out = (dir.path() / "r.csv").string();
  std::string err;
  // 10,000 x 10,000 points: refused before any point is made, so this takes no time or memory.
  CHECK(exit_code({"sweep", scenario.string(), "--grid", "workload.rate=1/s:10000/s:1/s", "--grid",
                   "pipeline.serve.instances=1:10000:1", "--out", out, "-q"},
                  &err) == kExitUsage);
  CHECK_THAT(err, StartsWith("--grid #2:1:1: error: 'pipeline.serve.instances': "));
  CHECK_THAT(err, Contains("100000000 points"));
  // A count past 2^64 is told, not wrapped around.
  std::vector<std::string> args{"sweep", scenario.string(), "--out", out, "-q"};
  for (const char* key : {"seed", "run.duration", "workload.rate", "pipeline.serve.instances"})
    args.insert(args.end(), {"--grid", std::string(key) + "=1:100000:1"});
  CHECK(exit_code(args, &err) == kExitUsage);
  CHECK_THAT(err, StartsWith("--grid #2:1:1: error: 'run.duration': "));
  CHECK_THAT(err, Contains("about 1e+20 points"));
  // From a grid file: its location.
  const auto grid = dir.write("grid.yaml",
                              "grid:\n"
                              "  workload.rate: {start: 1/s, stop: 5000/s, step: 1/s}\n"
                              "  pipeline.serve.instances: {start: 1, stop: 5000, step: 1}\n");
  CHECK(exit_code({"sweep", scenario.string(), "--grid-file", grid.string(), "--out", out, "-q"},
                  &err) == kExitUsage);
  CHECK_THAT(err, StartsWith(grid.string() + ":3:3: error: 'pipeline.serve.instances': "));
  CHECK_THAT(err, Contains("25000000 points"));
  CHECK(!std::filesystem::exists(out));
}

TEST_CASE("each point is parsed just before it runs: a bad value stops the sweep at its point",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  std::string err1, err2;
  // A bad first point (here every point is bad) fails before anything is written.
  CHECK(exit_code({"sweep", scenario.string(), "--grid", "pipeline.serve.instances=4,5", "--set",
                   "node.cpu.cores=0", "--out", (dir.path() / "a.csv").string(), "-q"},
                  &err1) == kExitUsage);
  CHECK_THAT(err1, Contains("'node.cpu.cores'"));
  CHECK(!std::filesystem::exists(dir.path() / "a.csv"));
  CHECK(!std::filesystem::exists(dir.path() / "a.jsonl"));
  // A bad later point: the points before it are simulated and journalled, and the error names it,
  // the same for any -j (the first bad point in grid order, whichever thread met it).
  for (const auto& [jobs, err] : {std::pair{"1", &err1}, std::pair{"2", &err2}}) {
    const auto out = dir.path() / (std::string("b") + jobs + ".csv");
    CHECK(exit_code({"sweep", scenario.string(), "--grid", "pipeline.serve.instances=4,5,0,6",
                     "--out", out.string(), "-j", jobs, "-q"},
                    err) == kExitUsage);
    CHECK(journalled_points(jsonl_path(out)) >= 2);
  }
  CHECK_THAT(err1, Contains("at sweep point 2: pipeline.serve.instances=0"));
  CHECK(err1 == err2);
}

TEST_CASE("the journal's fingerprints are 64-bit FNV-1a, the same on every machine",
          "[unit][sweep]") {
  // The published FNV-1a test vectors: a hash that changed with the platform would fail them.
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("a sweep warns when its first points say the rest takes long, with the count",
          "[unit][sweep]") {
  // 16 points in 2 s, 999,984 to go: about 35 hours at that pace.
  const std::string w = long_sweep_warning(1'000'000, 16, 999'984, 2.0);
  CHECK_THAT(w, StartsWith("servesim sweep: warning: 1000000 points, 999984 still to simulate"));
  CHECK_THAT(w, Contains("about 34.7 hours more"));
  CHECK_THAT(long_sweep_warning(10'000, 4, 9'996, 1.0), Contains("about 42 minutes more"));
  CHECK_THAT(long_sweep_warning(10'000'000, 1, 9'999'999, 1.0), Contains("about 115.7 days"));
  // Under 10 minutes to go: nothing to warn of.
  CHECK(long_sweep_warning(1000, 10, 990, 1.0).empty());
  CHECK(long_sweep_warning(1000, 0, 1000, 0.0).empty());
}

namespace {

/// Runs `command` through the shell in `dir`, its stderr to stderr.txt there; its exit status.
int shell_in(const std::filesystem::path& dir, const std::string& command) {
  const std::string line = "cd '" + dir.string() + "' && " + command + " 2>stderr.txt";
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("a sweep checks --out before it simulates anything, and leaves nothing behind",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  const std::string sweep = std::string(SERVESIM_BINARY) + " sweep s.yaml --grid " +
                            "pipeline.serve.instances=4,5 -q --out ";
  CHECK(shell_in(dir.path(), sweep + "''") == kExitUsage);
  CHECK_THAT(slurp(dir.path() / "stderr.txt"), StartsWith("--out:1:1: error: "));
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"s.yaml", "stderr.txt"});
  std::string err;
  CHECK(exit_code({"sweep", scenario.string(), "--grid", "pipeline.serve.instances=4,5", "-q",
                   "--out", dir.path().string()},
                  &err) == kExitUsage);
  CHECK_THAT(err, StartsWith("--out:1:1: error: "));
  CHECK_THAT(err, Contains("is a directory"));
  CHECK(exit_code({"sweep", scenario.string(), "--grid", "pipeline.serve.instances=4,5", "-q",
                   "--out", (dir.path() / "no" / "such" / "dir.csv").string()},
                  &err) == kExitUsage);
  CHECK_THAT(err, Contains("does not exist"));
}

#if !SERVESIM_TEST_HUGE_SHADOW  // ASan and TSan reserve terabytes: no ulimit -v under them
TEST_CASE("a sweep asked for more threads than the system gives runs on those it gets",
          "[unit][sweep]") {
  TempDir dir;
  dir.write("s.yaml", kSweepScenario);
  // 1 GB of address space holds about a hundred 8 MB thread stacks, not a thousand (the stack
  // size is set: a thread's default stack is the process's).
  const int status = shell_in(dir.path(), "ulimit -s 8192 2>/dev/null; ulimit -v 1000000 && exec " +
                                              std::string(SERVESIM_BINARY) +
                                              " sweep s.yaml --set run.duration=100ms --set "
                                              "run.warmup=0s --grid pipeline.serve.instances="
                                              "1:1000:1 -j 1000 -q --out r.csv");
  const std::string err = slurp(dir.path() / "stderr.txt");
  INFO(err);
  CHECK(status == kExitOk);
  CHECK_THAT(err, Contains("warning: running on"));
  CHECK(journalled_points(dir.path() / "r.jsonl") == 1000);
}
#endif

TEST_CASE("resuming a sweep whose journal was cut mid-line gives the uninterrupted result",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kSweepScenario);
  REQUIRE(exit_code(sweep_args(scenario, dir.path() / "full.csv", "2")) == kExitOk);
  const std::string full = slurp(dir.path() / "full.jsonl");
  // What a kill leaves: the first 5 lines whole, the sixth cut in the middle, no final CSV.
  std::size_t at = 0;
  for (int k = 0; k < 5; ++k) at = full.find('\n', at) + 1;
  const std::string cut = full.substr(0, at + 40);
  dir.write("part.jsonl", cut);
  auto args = sweep_args(scenario, dir.path() / "part.csv", "2");
  args.push_back("--resume");
  REQUIRE(exit_code(args) == kExitOk);
  CHECK(slurp(dir.path() / "part.jsonl") == full);
  CHECK(slurp(dir.path() / "part.csv") == slurp(dir.path() / "full.csv"));
}

TEST_CASE("a sweep killed with SIGKILL resumes to the same files as an uninterrupted one",
          "[unit][sweep]") {
  TempDir dir;
  // Bigger points (about 0.1 s each on one thread), so the kill lands mid-sweep.
  std::string heavy = kSweepScenario;
  heavy.replace(heavy.find("duration: 50s"), 13, "duration: 5000s");
  const auto scenario = dir.write("s.yaml", heavy);
  REQUIRE(exit_code(sweep_args(scenario, dir.path() / "full.csv", "2")) == kExitOk);
  const std::string command = std::string("timeout -s KILL 0.5 ") + SERVESIM_BINARY + " sweep " +
                              scenario.string() +
                              " --grid workload.rate=40/s:80/s:20/s --grid "
                              "pipeline.serve.instances=4,5,6,7 -j 1 -q --out " +
                              (dir.path() / "killed.csv").string();
  const int status = std::system(command.c_str());
  INFO("status " << status);
  const std::string partial = slurp(dir.path() / "killed.jsonl");
  const auto done = std::count(partial.begin(), partial.end(), '\n');
  INFO(done << " points were journalled before the kill");
  CHECK(done < 12);  // it really was interrupted
  std::string err;
  REQUIRE(exit_code({"sweep", scenario.string(), "--grid", "workload.rate=40/s:80/s:20/s", "--grid",
                     "pipeline.serve.instances=4,5,6,7", "-j", "2", "-q", "--resume", "--out",
                     (dir.path() / "killed.csv").string()},
                    &err) == kExitOk);
  CHECK(slurp(dir.path() / "killed.jsonl") == slurp(dir.path() / "full.jsonl"));
  CHECK(slurp(dir.path() / "killed.csv") == slurp(dir.path() / "full.csv"));
}

// The sweep across MPI ranks itself is tests/app/sweep_mpi.sh (CTest label mpi).
TEST_CASE("a process started by mpirun knows its rank from the environment, others are 0 of 1",
          "[unit][sweep]") {
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
  CHECK(mpi_launch().rank == 0);
  CHECK(mpi_launch().size == 1);
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  CHECK(mpi_launch().rank == 2);
  CHECK(mpi_launch().size == 3);
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
}

}  // namespace servesim
