// `servesim report` of a sweep or a plan (sim/app/sweep_report.h): which kind of file it was
// given, the sweep's configurations and top table, and the page, from small hand-written files
// whose numbers are chosen so that every expected value is read off them; then through the
// command line, on what `servesim sweep` and `servesim plan` really write.
#include <catch2/catch.hpp>

#include <string>

#include "sim/app/sweep_report.h"
#include "sim/config/error.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

const std::string kPerfAnalyzer =
    "Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,"
    "Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,p50 latency,"
    "p90 latency,p95 latency,p99 latency";

/// A sweep over node.gpus.count x workload.concurrency as sweep writes its CSV (rows by
/// increasing throughput): perf_analyzer's 13 columns, the grid's, then servesim's own. p99 in
/// µs. Configuration gpus=1: (c=1: 100/s, 10 ms), (c=4: 300/s, 40 ms), (c=16: 350/s, 200 ms);
/// gpus=2: (c=1: 110/s, 9 ms), (c=4: 400/s, 30 ms), (c=16: 650/s, 120 ms).
const std::string kSweepCsv =
    kPerfAnalyzer +
    ",node.gpus.count,workload.concurrency,Avg latency,Bottleneck,gpu0.compute Utilization,"
    "cpu Utilization\n"
    "1,100,0,0,0,0,0,0,0,0,0,0,10000,1,1,9000,gpu0.compute,0.25,0.1\n"
    "1,110,0,0,0,0,0,0,0,0,0,0,9000,2,1,8000,gpu0.compute,0.125,0.1\n"
    "4,300,0,0,0,0,0,0,0,0,0,0,40000,1,4,30000,gpu0.compute,0.75,0.2\n"
    "16,350,0,0,0,0,0,0,0,0,0,0,200000,1,16,150000,gpu0.compute,0.875,0.3\n"
    "4,400,0,0,0,0,0,0,0,0,0,0,30000,2,4,25000,gpu0.compute,0.5,0.3\n"
    "16,650,0,0,0,0,0,0,0,0,0,0,120000,2,16,100000,cpu,0.8,0.5\n";

const std::string kPlanCsv =
    "rank,nodes,node.gpus.count,node.cpu.cores,stage,instances,max_batch_size,max_queue_delay,"
    "cost,p99 latency ms,slo margin,node capacity req/s,cores per GPU,CPU ms per request,"
    "cores per GPU needed,GPU compute bound req/s\n"
    "1,1,2,8,infer,2,64,500us,2,72.5,0.375,5171.2,4,0.808,2.09,5171.2\n"
    "2,3,1,16,infer,1,64,500us,3,13.5,6.5,2585.6,16,0.811,2.1,2585.6\n";

const std::string kPlanJson = R"({
  "target_rate_rps": 5000, "slo": {"quantile": 0.99, "ms": 100},
  "cost": {"gpu": 1, "cpu_core": 0, "node": 0}, "uncertainty_draws": 0,
  "configurations": 2, "pruned": 0, "simulations": 4,
  "feasible": [{"rank": 1, "nodes": 1, "node.gpus.count": 2, "node.cpu.cores": 8,
                "stage": "infer", "instances": 2, "max_batch_size": 64,
                "max_queue_delay": "500us", "cost": 2, "p99 latency ms": 72.5,
                "slo margin": 0.375, "node capacity req/s": 5171.2, "cores per GPU": 4,
                "CPU ms per request": 0.808, "cores per GPU needed": 2.09,
                "GPU compute bound req/s": 5171.2}]
})";

ReportInput kind_of(const std::string& name, const std::string& text) {
  return report_input_kind(name, text);
}

}  // namespace

TEST_CASE("report tells each kind of input apart by what the file holds", "[unit]") {
  CHECK(kind_of("s.yaml", "") == ReportInput::kScenario);
  CHECK(kind_of("s.yml", "anything") == ReportInput::kScenario);
  CHECK(kind_of("scenario.txt", "seed: 3\nrun: {duration: 5s}\n") == ReportInput::kScenario);
  CHECK(kind_of("r.json", "{\"completed\": 3}") == ReportInput::kRunJson);
  // A malformed JSON document is still a run's result: parse_result names where it breaks.
  CHECK(kind_of("r.json", "{\"completed\": 3,\n \"x\": [1,2,,]}") == ReportInput::kRunJson);
  CHECK(kind_of("s.jsonl", "{\"sweep\":{\"format\":2}}\n{\"point\":0}\n") ==
        ReportInput::kSweepJsonl);
  CHECK(kind_of("s.csv", kSweepCsv) == ReportInput::kSweepCsv);
  CHECK(kind_of("named.anything", "\xEF\xBB\xBF" + kSweepCsv) == ReportInput::kSweepCsv);
  CHECK(kind_of("r.csv", "Request Rate,Inferences/Second,p99 latency\n10,9.5,1000\n") ==
        ReportInput::kSweepCsv);
  CHECK(kind_of("p.csv", kPlanCsv) == ReportInput::kPlanCsv);
  CHECK(kind_of("p.json", kPlanJson) == ReportInput::kPlanJson);
  // Any JSON is taken for a result, which parse_result refuses naming the member: "'/':
  // expected an object".
  CHECK(kind_of("r.json", "[1, 2]") == ReportInput::kRunJson);
  CHECK(kind_of("r.txt", "3") == ReportInput::kRunJson);
  for (const char* junk : {"", "hello", "a,b\n1,2\n", "- a\n- b\n", "\x01\x02"}) {
    INFO("text: " << junk);
    CHECK_THROWS_AS(kind_of("x.dat", junk), ConfigError);
  }
}

TEST_CASE("a sweep's CSV: the grid columns, p99 in ms, the bottleneck's utilisation", "[unit]") {
  const SweepData d = parse_sweep_csv(kSweepCsv, "s.csv");
  CHECK(d.grid_keys == std::vector<std::string>{"node.gpus.count", "workload.concurrency"});
  CHECK(d.load_column == "Concurrency");
  CHECK(load_key(d) == "workload.concurrency");
  REQUIRE(d.points.size() == 6);
  const SweepPoint& last = d.points.back();
  CHECK(last.load == 16);
  CHECK(last.throughput == 650);
  CHECK(last.p99_ms == 120);
  CHECK(last.bottleneck == "cpu");
  CHECK(last.bottleneck_utilization == 0.5);
  CHECK(!last.gpu_memory_peak_bytes);
  CHECK(d.points[0].bottleneck_utilization == 0.25);
}

TEST_CASE("a sweep's CSV in perf_analyzer's --verbose-csv layout: the grid after its 20 columns",
          "[unit]") {
  // Its GPU metrics cells hold "gpu0:0.5;" (no space), so the grid starts after column 20.
  const std::string csv =
      kPerfAnalyzer +
      ",Avg latency,request/response,response wait,Avg GPU Utilization,Avg GPU Power Usage,"
      "Max GPU Memory Usage,Total GPU Memory,seed,Inferences/Second CI95 Low,Bottleneck\n"
      "8,250,0,0,0,0,0,0,0,0,0,0,32000,9000,0,0,gpu0:0.5;,,,,7,249,gpu0.compute\n";
  const SweepData d = parse_sweep_csv(csv, "v.csv");
  CHECK(d.grid_keys == std::vector<std::string>{"seed"});
  REQUIRE(d.points.size() == 1);
  CHECK(d.points[0].grid == std::vector<std::pair<std::string, std::string>>{{"seed", "7"}});
  CHECK(d.points[0].p99_ms == 32);
  CHECK(!d.points[0].bottleneck_utilization);  // no utilisation column for it in this file
  CHECK(load_key(d).empty());
}

TEST_CASE("a sweep's points group into configurations by the grid keys but the load", "[unit]") {
  const SweepData d = parse_sweep_csv(kSweepCsv, "s.csv");
  const auto cs = group_configurations(d);
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].label == "node.gpus.count=1");
  CHECK(cs[1].label == "node.gpus.count=2");
  // In order of increasing load, whatever the file's order (by throughput).
  std::vector<double> loads, thr;
  for (const auto* p : cs[0].points) loads.push_back(p->load);
  for (const auto* p : cs[1].points) thr.push_back(p->throughput);
  CHECK(loads == std::vector<double>{1, 4, 16});
  CHECK(thr == std::vector<double>{110, 400, 650});

  // Without the load key in the grid, every point is its own configuration.
  SweepData no_load = d;
  no_load.grid_keys = {"node.gpus.count", "pipeline.infer.instances"};
  for (auto& p : no_load.points) p.grid[1].first = "pipeline.infer.instances";
  CHECK(load_key(no_load).empty());
  CHECK(group_configurations(no_load).size() == 6);
}

TEST_CASE("the top configurations: best throughput, within the latency budget when given",
          "[unit]") {
  const SweepData d = parse_sweep_csv(kSweepCsv, "s.csv");
  const auto cs = group_configurations(d);
  // No budget: gpus=2 at 650/s, then gpus=1 at 350/s.
  auto top = top_configurations(cs, std::nullopt, 5);
  REQUIRE(top.size() == 2);
  CHECK(top[0].configuration == 1);
  CHECK(top[0].point->throughput == 650);
  CHECK(top[1].point->throughput == 350);
  // p99 <= 100 ms: gpus=2's best within it is 400/s (30 ms), gpus=1's 300/s (40 ms).
  top = top_configurations(cs, 100.0, 5);
  REQUIRE(top.size() == 2);
  CHECK(top[0].point->throughput == 400);
  CHECK(top[1].point->throughput == 300);
  // The budget is inclusive: p99 == 40 ms meets 40 ms.
  top = top_configurations(cs, 40.0, 5);
  REQUIRE(top.size() == 2);
  CHECK(top[1].point->throughput == 300);
  // A budget only gpus=2 meets (9 ms at 110/s); N cuts the list.
  top = top_configurations(cs, 9.5, 5);
  REQUIRE(top.size() == 1);
  CHECK(top[0].point->throughput == 110);
  CHECK(top_configurations(cs, std::nullopt, 1).size() == 1);
  CHECK(top_configurations(cs, 1.0, 5).empty());
}

TEST_CASE("the sweep page: a line per configuration, the budget line, the top table", "[unit]") {
  const SweepData d = parse_sweep_csv(kSweepCsv, "s.csv");
  SweepReportOptions o;
  o.slo_p99_ms = 100;
  o.top = 1;
  const std::string h = sweep_html(d, o, "s<1>.csv");
  CHECK(h.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(h.find("<script") == std::string::npos);
  CHECK(h.find("src=") == std::string::npos);
  CHECK(h.find("s&lt;1&gt;.csv") != std::string::npos);
  std::size_t lines = 0;
  for (auto at = h.find("<polyline"); at != std::string::npos; at = h.find("<polyline", at + 1))
    ++lines;
  CHECK(lines == 2);
  CHECK(h.find("stroke-dasharray") != std::string::npos);
  CHECK(h.find("latency budget: p99 100 ms") != std::string::npos);
  CHECK(h.find("throughput (req/s)") != std::string::npos);
  CHECK(h.find("p99 latency (ms)") != std::string::npos);
  CHECK(h.find("<h2>Top configurations</h2>\n<p>The best 1 of 2 (--top 1).") != std::string::npos);
  CHECK(h.find("<tr class='best'><td>1</td><td class='l'>node.gpus.count=2</td><td>4</td>"
               "<td>400</td><td>30</td><td>gpu0.compute</td><td>50.0%</td><td>-</td>") !=
        std::string::npos);
  // A budget that only one configuration meets says so.
  o.slo_p99_ms = 9.5;
  CHECK(sweep_html(d, o, "s").find("1 of 2 configurations have no point within the budget.") !=
        std::string::npos);
  // Points past the budget are marked in the table of every point.
  CHECK(h.find("<tr class='warn'><td class='l'>node.gpus.count=1</td><td>16</td>") !=
        std::string::npos);
}

TEST_CASE("the plan page: every candidate, cores per GPU, the plan highlighted", "[unit]") {
  for (const auto& [t, targets] : {std::pair{parse_plan_csv(kPlanCsv, "p.csv"), false},
                                   std::pair{parse_plan_json(kPlanJson, "p.json"), true}}) {
    const std::string h = plan_html(t, "p");
    CHECK(h.find("<th>cores per GPU</th>") != std::string::npos);
    CHECK(h.find("<th>cores per GPU needed</th>") != std::string::npos);
    CHECK(h.find("<tr class='best'><td>1</td><td>1</td><td>2</td><td>8</td><td>2</td>") !=
          std::string::npos);
    CHECK(h.find("<td>37.5%</td>") != std::string::npos);
    CHECK(h.find("<td class='cpg'>4</td><td>0.808</td><td class='cpg'>2.09</td>") !=
          std::string::npos);
    CHECK((h.find("for 5000 req/s, p99 &lt;= 100 ms") != std::string::npos) == targets);
  }
  CHECK(parse_plan_csv(kPlanCsv, "p.csv").rows.size() == 2);
}

TEST_CASE("a sweep or plan file that is broken is refused at its line, exit 2", "[unit]") {
  test::TempDir dir;
  const std::string out = (dir.path() / "r.html").string();
  const auto refused = [&](const std::string& name, const std::string& text,
                           const std::string& where, const std::string& why,
                           std::vector<std::string> extra = {}) {
    const auto file = dir.write(name, text).string();
    std::vector<std::string> args{"report", file, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const test::CliResult r = test::cli(args);
    INFO(name << ": " << r.err);
    CHECK(r.code == kExitUsage);
    CHECK_THAT(r.err, StartsWith(where.empty() ? "" : file + where));
    CHECK_THAT(r.err, Contains(why));
  };
  refused("junk.txt", "hello, world\n", ":1:1: error: ", "this file is none of them");
  refused("empty.csv", "", ":1:1: error: ", "none of them");
  std::string bad = kSweepCsv;
  bad.replace(bad.find("300,"), 3, "fast");
  refused("bad.csv", bad, ":4:1: error: 'Inferences/Second': ", "expected a number, got 'fast'");
  refused("short.csv", kSweepCsv + "1,2,3\n", ":8:1: error: ", "this row has 3 cells");
  refused("rows.csv", kPerfAnalyzer + "\n", ":1:1: error: ", "no rows");
  refused("bad.jsonl", "{\"sweep\":{\"grid_keys\":[]}}\n{\"point\":0}\n",
          ":2:1: error: ", "not a sweep's point");
  refused("bad-plan.csv", kPlanCsv + "3,1\n", ":4:1: error: ", "this row has 2 cells");
  refused("plan.json", R"({"target_rate_rps": 5, "feasible": []})",
          ":1:1: error: ", "not a plan's JSON");
  refused("s.csv", kSweepCsv, "", "--slo-p99", {"--slo-p99", "fast"});
  refused("s.csv", kSweepCsv, "", "the budget must be positive", {"--slo-p99", "0ms"});
  refused("s.csv", kSweepCsv, "", "--top", {"--top", "0"});
  refused("p.csv", kPlanCsv, "", "--slo-p99 and --top are for a sweep", {"--top", "3"});
  refused("p.csv", kPlanCsv, "", "--set is for a scenario", {"--set", "seed=1"});
}

TEST_CASE("report reads what sweep and plan write, GPU memory from the JSON lines",
          "[unit][files]") {
  test::TempDir dir;
  const auto csv = (dir.path() / "s.csv").string();
  const test::CliResult sweep =
      test::cli({"sweep", "--grid", "node.gpus.count=1,2", "--grid", "workload.concurrency=1,16",
                 "--set", "run.duration=2s", "--set", "run.warmup=0.5s", "--set",
                 "run.replications=1", "--out", csv, "-j", "1"});
  REQUIRE(sweep.code == kExitOk);
  for (const std::string& in : {csv, (dir.path() / "s.jsonl").string()}) {
    const test::CliResult r =
        test::cli({"report", in, "--out", "-", "--slo-p99", "1s", "--top", "2"});
    INFO(in << ": " << r.err);
    REQUIRE(r.code == kExitOk);
    CHECK(r.out.find("4 points in 2 configurations") != std::string::npos);
    CHECK(r.out.find("<td class='l'>node.gpus.count=2</td>") != std::string::npos);
    // The default scenario keeps its request tensors on the GPU: the JSON lines say how much.
    CHECK((r.out.find(" KiB</td>") != std::string::npos ||
           r.out.find(" MiB</td>") != std::string::npos) == in.ends_with(".jsonl"));
  }
  const auto plan = (dir.path() / "plan.csv").string();
  REQUIRE(test::cli({"plan", "--target-rate", "500/s", "--slo", "p99=1s", "--gpus", "1", "--set",
                     "run.duration=2s", "--set", "run.warmup=0.5s", "--set", "run.replications=1",
                     "--out", plan, "-j", "1"})
              .code == kExitOk);
  const test::CliResult r = test::cli({"report", plan, "--out", "-"});
  INFO(r.err);
  CHECK(r.code == kExitOk);
  CHECK(r.out.find("<tr class='best'>") != std::string::npos);
}

}  // namespace servesim
