// run --csv and sweep in perf_analyzer's CSV layouts (docs/outputs.md): the header as
// perf_analyzer's report_writer.cc writes it, plain and --verbose-csv, whole microseconds, the
// HTTP front end in Network+Server Send/Recv; and the round trip: what servesim writes, and
// files with perf_analyzer's own header, are read by `calib import perf-analyzer` and `compare`.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "calib/importers.h"
#include "sim/app/compare.h"
#include "sim/config/csv.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using test::TempDir;

const std::string kFixtures = std::string(SERVESIM_SOURCE_DIR) + "/tests/app/fixtures/";

std::vector<std::vector<std::string>> read_rows(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::vector<std::vector<std::string>> rows;
  for (std::string l; std::getline(f, l);) rows.push_back(split_csv(l));
  return rows;
}

std::string cell(const std::vector<std::vector<std::string>>& rows, std::size_t row,
                 const std::string& column) {
  for (std::size_t c = 0; c < rows[0].size(); ++c)
    if (rows[0][c] == column) return rows.at(row).at(c);
  FAIL("no column " << column);
  return "";
}

// One client (100 us of work), a wire of 50 us round trip and 1 GB/s carrying 1 MB (1,050 us),
// Triton's HTTP front end (200 us), one model stage (1 ms): 2,350 us per request, one at a time.
const std::string kClientScenario = kFixtures + "client_frontend.yaml";

/// `servesim run` of kClientScenario with --csv (and `extra`) into dir/name; its rows.
std::vector<std::vector<std::string>> run_csv(const TempDir& dir, const std::string& name,
                                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", kClientScenario, "-q", "--csv",
                                (dir.path() / name).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = test::cli(args);
  REQUIRE(r.code == 0);
  return read_rows(dir.path() / name);
}

}  // namespace

TEST_CASE("run --csv leads with perf_analyzer's header, plain and --verbose-csv, exactly",
          "[unit]") {
  TempDir dir;
  // The fixtures carry perf_analyzer's header as report_writer.cc writes it (-f, and
  // --verbose-csv --collect-metrics).
  const auto plain_pa = read_rows(kFixtures + "perf_analyzer.csv")[0];
  const auto verbose_pa = read_rows(kFixtures + "perf_analyzer_verbose_metrics.csv")[0];
  REQUIRE(plain_pa.size() == 13);
  REQUIRE(verbose_pa.size() == 20);
  const auto plain = run_csv(dir, "p.csv");
  const auto verbose = run_csv(dir, "v.csv", {"--verbose-csv"});
  REQUIRE(plain.size() == 2);
  REQUIRE(verbose.size() == 2);
  CHECK(std::vector<std::string>(plain[0].begin(), plain[0].begin() + 13) == plain_pa);
  CHECK(std::vector<std::string>(verbose[0].begin(), verbose[0].begin() + 20) == verbose_pa);
  // servesim's own columns follow, once: Avg latency is perf_analyzer's in the verbose layout.
  CHECK(plain[0][13] == "Avg latency");
  CHECK(verbose[0][20] == "Inferences/Second CI95 Low");
  CHECK(std::count(verbose[0].begin(), verbose[0].end(), "Avg latency") == 1);

  // Whole microseconds. The client's 100 us is Client Send; the wire's 1,050 us and the front
  // end's 200 us are Network+Server Send/Recv (latency - send - recv - what Triton's model
  // statistics time); the model stage's 1,000 us is Server Compute Infer.
  for (const auto* rows : {&plain, &verbose}) {
    CHECK(cell(*rows, 1, "Concurrency") == "1");
    CHECK(cell(*rows, 1, "Client Send") == "100");
    CHECK(cell(*rows, 1, "Network+Server Send/Recv") == "1250");
    CHECK(cell(*rows, 1, "Server Queue") == "0");
    CHECK(cell(*rows, 1, "Server Compute Input") == "0");
    CHECK(cell(*rows, 1, "Server Compute Infer") == "1000");
    CHECK(cell(*rows, 1, "Server Compute Output") == "0");
    CHECK(cell(*rows, 1, "Client Recv") == "0");
    CHECK(cell(*rows, 1, "Avg latency") == "2350");
    for (const char* p : {"p50 latency", "p90 latency", "p95 latency", "p99 latency"})
      CHECK(cell(*rows, 1, p).find_first_not_of("0123456789") == std::string::npos);
  }
  // request/response: send + receive; response wait: the rest of the mean latency.
  CHECK(cell(verbose, 1, "request/response") == "100");
  CHECK(cell(verbose, 1, "response wait") == "2250");
  CHECK(cell(verbose, 1, "Avg GPU Utilization").empty());  // no GPU
}

TEST_CASE("a GPU's utilisation and power are perf_analyzer's metrics cells, uuid:value;",
          "[unit]") {
  TempDir dir;
  const auto scenario = dir.write("g.yaml", R"(
run: {duration: 1s, warmup: 100ms, replications: 1}
workload: {mode: closed, concurrency: 1}
node:
  cpu: {cores: 2}
  gpus: {count: 1, idle_power: 50W, busy_power: 250W}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 0ns}
    gpu_link: {bandwidth: 25GB/s, latency: 0ns}
pipeline:
  - {name: serve, device: gpu, service: {dist: deterministic, mean: 1ms}}
)");
  const auto r = test::cli(
      {"run", scenario.string(), "-q", "--verbose-csv", "--csv", (dir.path() / "g.csv").string()});
  REQUIRE(r.code == 0);
  const auto rows = read_rows(dir.path() / "g.csv");
  // One request at a time on the GPU and nothing else: busy all the time, at 250 W.
  CHECK(cell(rows, 1, "Avg GPU Utilization") == "gpu0:1;");
  CHECK(cell(rows, 1, "Avg GPU Power Usage") == "gpu0:250;");
  // Memory: no tensor is held (the request carries no bytes), and node.gpus.memory is not given.
  CHECK(cell(rows, 1, "Max GPU Memory Usage") == "gpu0:0;");
  CHECK(cell(rows, 1, "Total GPU Memory").empty());
}

TEST_CASE("each GPU's most memory used and its memory are perf_analyzer's metrics cells, in bytes",
          "[unit]") {
  TempDir dir;
  // One request at a time, sent to the two GPUs in turn: each GPU holds one request's 1000-byte
  // tensor at most, beside the 100 MB its weights take, of its 1 GB.
  const std::string head = R"(run: {duration: 1s, warmup: 100ms, replications: 2}
workload: {mode: closed, concurrency: 1, images: [{name: x, width: 10, height: 10, bytes: 1000B}]}
node:
  cpu: {cores: 2}
)";
  const std::string tail = R"(  pcie:
    host_link: {bandwidth: 32GB/s, latency: 0ns}
    gpu_link: {bandwidth: 25GB/s, latency: 0ns}
pipeline:
  - {name: serve, device: gpu, service: {dist: deterministic, mean: 1ms}}
)";
  const auto scenario = [&](const std::string& name, const std::string& gpus) {
    return dir.write(name, head + "  gpus: " + gpus + "\n" + tail);
  };
  const auto csv = dir.path() / "m.csv";
  const auto run = [&](const std::filesystem::path& p) {
    REQUIRE(test::cli({"run", p.string(), "-q", "--verbose-csv", "--csv", csv.string()}).code == 0);
    return read_rows(csv);
  };
  auto rows = run(scenario("m.yaml", "{count: 2, memory: 1GB, reserved_memory: 100MB}"));
  CHECK(cell(rows, 1, "Max GPU Memory Usage") == "gpu0:100001000;gpu1:100001000;");
  CHECK(cell(rows, 1, "Total GPU Memory") == "gpu0:1000000000;gpu1:1000000000;");
  // Without node.gpus.memory (and so without reserved_memory): the tensors alone, no total.
  rows = run(scenario("b.yaml", "{count: 2}"));
  CHECK(cell(rows, 1, "Max GPU Memory Usage") == "gpu0:1000;gpu1:1000;");
  CHECK(cell(rows, 1, "Total GPU Memory").empty());
}

TEST_CASE("what run --csv writes is read back by calib import perf-analyzer and compare",
          "[unit]") {
  TempDir dir;
  for (const char* layout : {"plain", "verbose"}) {
    const std::string name = std::string(layout) + ".csv";
    run_csv(dir, name,
            layout == std::string("verbose") ? std::vector<std::string>{"--verbose-csv"}
                                             : std::vector<std::string>{});
    const auto imported = calib::import_perf_analyzer(dir.path() / name, {"m", 1, 0, 0});
    REQUIRE(imported.rows.size() == 1);
    CHECK(imported.rows[0].load == "Concurrency 1");
    CHECK(imported.rows[0].queue_s == 0);
    REQUIRE(imported.samples.size() == 1);  // input and output are 0: no sample
    CHECK(imported.samples[0].kernel == "m_compute_infer");
    CHECK(imported.samples[0].seconds == Approx(1000e-6));
    const auto m = read_measurements(dir.path() / name);
    REQUIRE(m.size() == 1);
    CHECK(m[0].load_name == "Concurrency");
    CHECK(m[0].load == 1);
    CHECK(m[0].values.at("Server Compute Infer") == 1000);
    CHECK(m[0].values.at("Avg latency") == 2350);
  }
  // The JSON of the same run reads as the CSV does: the front end is not the server's compute.
  REQUIRE(
      test::cli({"run", kClientScenario, "-q", "--json", (dir.path() / "r.json").string()}).code ==
      0);
  const auto j = read_measurements(dir.path() / "r.json");
  CHECK(j[0].values.at("Server Compute Infer") == Approx(1000));
  CHECK(j[0].values.at("Server Queue") == Approx(0));
  const std::string t =
      compare_table(j, "json", read_measurements(dir.path() / "plain.csv"), "csv");
  CHECK(t.find("Concurrency 1") != std::string::npos);
}

TEST_CASE("a sweep's CSV, grid columns after perf_analyzer's, reads back in both readers",
          "[unit][sweep]") {
  TempDir dir;
  const auto out = dir.path() / "sw.csv";
  REQUIRE(test::cli({"sweep", kClientScenario, "--grid", "workload.concurrency=2,1",
                     "--verbose-csv", "--out", out.string(), "-j", "1", "-q"})
              .code == 0);
  const auto rows = read_rows(out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][19] == "Total GPU Memory");
  CHECK(rows[0][20] == "workload.concurrency");
  // Sorted by Inferences/Second: concurrency 1 (one request at a time) before 2.
  CHECK(rows[1][0] == "1");
  CHECK(rows[2][0] == "2");
  const auto imported = calib::import_perf_analyzer(out, {"m", 1, 0, 0});
  REQUIRE(imported.rows.size() == 2);
  CHECK(imported.rows[0].load == "Concurrency 1");
  const auto m = read_measurements(out);
  REQUIRE(m.size() == 2);
  CHECK(m[1].load == 2);
  CHECK(m[0].values.at("Server Compute Infer") == 1000);
}

TEST_CASE("perf_analyzer's own CSVs, plain and verbose with GPU metrics, are read by both",
          "[unit]") {
  for (const char* file : {"perf_analyzer.csv", "perf_analyzer_verbose_metrics.csv"}) {
    const auto imported = calib::import_perf_analyzer(kFixtures + file, {"m", 1, 0, 0});
    REQUIRE(imported.rows.size() == 2);
    CHECK(imported.rows[1].load == "Concurrency 256");
    CHECK(imported.rows[1].inferences_per_second == 2412.2);
    CHECK(imported.rows[1].queue_s == Approx(87102e-6));
    REQUIRE(imported.samples.size() == 6);  // input, infer, output per row
    CHECK(imported.samples[4].seconds == Approx(14930e-6));
    const auto m = read_measurements(kFixtures + file);
    REQUIRE(m.size() == 2);
    CHECK(m[1].load == 256);
    CHECK(m[1].values.at("Server Compute Infer") == 14930);
    CHECK(m[1].values.count("Avg latency") == (file == std::string("perf_analyzer.csv") ? 0 : 1));
  }
}

}  // namespace servesim
