// `servesim sweep`: the grid, the files it writes, determinism for any -j, and resuming a sweep
// that was killed, for real and by cutting its journal.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "sim/app/sweep.h"
#include "sim/config/error.h"
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

int cli(std::vector<std::string> args, std::string* err_text = nullptr) {
  args.insert(args.begin(), "servesim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  if (err_text) *err_text = err.str();
  return code;
}

// 3 x 4 = 12 small points of an M/M/c queue.
const std::string kScenario = R"(
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
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kScenario);
  REQUIRE(cli(sweep_args(scenario, dir.path() / "a.csv", "1")) == kExitOk);
  REQUIRE(cli(sweep_args(scenario, dir.path() / "b.csv", "2")) == kExitOk);
  const std::string a = slurp(dir.path() / "a.csv");
  CHECK(a == slurp(dir.path() / "b.csv"));
  CHECK(slurp(dir.path() / "a.jsonl") == slurp(dir.path() / "b.jsonl"));
  // A header and 12 rows; the grid keys lead, the first axis varies slowest.
  std::istringstream lines(a);
  std::vector<std::string> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(l);
  REQUIRE(rows.size() == 13);
  CHECK_THAT(rows[0], StartsWith("workload.rate,pipeline.serve.instances,Request Rate,"));
  CHECK_THAT(rows[1], StartsWith("40/s,4,40,"));
  CHECK_THAT(rows[2], StartsWith("40/s,5,40,"));
  CHECK_THAT(rows[12], StartsWith("80/s,7,80,"));
}

TEST_CASE("a sweep never overwrites results; --resume with another grid is refused",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kScenario);
  const auto out = dir.path() / "r.csv";
  REQUIRE(cli(sweep_args(scenario, out, "2")) == kExitOk);
  std::string err;
  CHECK(cli(sweep_args(scenario, out, "2"), &err) == kExitRuntime);
  CHECK_THAT(err, Contains("pass --resume"));
  auto other = sweep_args(scenario, out, "2");
  other[3] = "workload.rate=40/s:80/s:10/s";
  other.push_back("--resume");
  CHECK(cli(other, &err) == kExitRuntime);
  CHECK_THAT(err, Contains("made with another grid"));
}

TEST_CASE("resuming a sweep whose journal was cut mid-line gives the uninterrupted result",
          "[unit][sweep]") {
  TempDir dir;
  const auto scenario = dir.write("s.yaml", kScenario);
  REQUIRE(cli(sweep_args(scenario, dir.path() / "full.csv", "2")) == kExitOk);
  const std::string full = slurp(dir.path() / "full.jsonl");
  // What a kill leaves: the first 5 lines whole, the sixth cut in the middle, no final CSV.
  std::size_t at = 0;
  for (int k = 0; k < 5; ++k) at = full.find('\n', at) + 1;
  const std::string cut = full.substr(0, at + 40);
  dir.write("part.jsonl", cut);
  auto args = sweep_args(scenario, dir.path() / "part.csv", "2");
  args.push_back("--resume");
  REQUIRE(cli(args) == kExitOk);
  CHECK(slurp(dir.path() / "part.jsonl") == full);
  CHECK(slurp(dir.path() / "part.csv") == slurp(dir.path() / "full.csv"));
}

TEST_CASE("a sweep killed with SIGKILL resumes to the same files as an uninterrupted one",
          "[unit][sweep]") {
  TempDir dir;
  // Bigger points (about 0.1 s each on one thread), so the kill lands mid-sweep.
  std::string heavy = kScenario;
  heavy.replace(heavy.find("duration: 50s"), 13, "duration: 5000s");
  const auto scenario = dir.write("s.yaml", heavy);
  REQUIRE(cli(sweep_args(scenario, dir.path() / "full.csv", "2")) == kExitOk);
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
  REQUIRE(cli({"sweep", scenario.string(), "--grid", "workload.rate=40/s:80/s:20/s", "--grid",
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
