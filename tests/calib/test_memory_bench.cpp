// calib bench memory (bandwidth, CPU efficiency under load, the node.cpu YAML fragment) and
// calib repeat (the spread of fitted coefficients over repeated benches).

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/machine.h"
#include "calib/memory_bench.h"
#include "calib/repeat.h"
#include "calib/samples.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/scenario/curves.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

std::string file_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_CASE("bandwidth counts bytes as STREAM does: copy 16, triad 24, memcpy 16 per element",
          "[unit]") {
  CHECK(stream_bytes(StreamKernel::kCopy, 1000) == 16000);
  CHECK(stream_bytes(StreamKernel::kTriad, 1000) == 24000);
  CHECK(stream_bytes(StreamKernel::kMemcpy, 1000) == 16000);
  // 2^25 doubles (256 MiB of three arrays / 3 rounded): exact in a double.
  CHECK(stream_bytes(StreamKernel::kTriad, std::size_t{1} << 25) == 805306368.0);
  const BandwidthPoint p{2, StreamKernel::kTriad, 24e9, 2.0, 4.0};
  CHECK(p.best_gbps() == 12.0);
  CHECK(p.median_gbps() == 6.0);
  const BandwidthPoint points[] = {p};
  CHECK(memory_csv(points) ==
        "threads,kernel,bytes,best_s,median_s,best_GBps,median_GBps\n"
        "2,triad,24000000000,2,4,12,6\n");
  // Arrays: the plan's size when given, else 256 MiB or 4 x the last-level cache.
  MemoryPlan plan;
  CHECK(memory_array_bytes(plan, 32 << 20) == std::size_t{256} << 20);
  CHECK(memory_array_bytes(plan, std::size_t{128} << 20) == std::size_t{512} << 20);
  plan.array_bytes = 3 << 20;
  CHECK(memory_array_bytes(plan, std::size_t{128} << 20) == std::size_t{3} << 20);
}

/// Three kernels, three runs, at 1 and 2 threads (per-item ns), with efficiencies chosen so that
/// every median, min and max below is one of them.
std::vector<KernelLoad> hand_loads() {
  std::vector<KernelLoad> v(3);
  v[0].kernel = "a";
  v[0].per_item_ns = {{100, 200}, {110, 160}, {90, 300}};  // k=2: 0.5, 0.6875, 0.3
  v[1].kernel = "b";
  v[1].per_item_ns = {{50, 60}, {50, 50}, {50, 100}};  // 0.8333, 1, 0.5
  v[2].kernel = "c";
  v[2].per_item_ns = {{10, 40}, {10, 40}, {10, 40}};  // 0.25, 0.25, 0.25
  return v;
}

TEST_CASE("efficiency is 1 at one thread by construction, t(1) / t(k) per run beyond", "[unit]") {
  const std::vector<KernelLoad> loads = hand_loads();
  const std::vector<EfficiencyPoint> e = efficiency_points(loads);
  REQUIRE(e.size() == 8);  // 3 kernels and the node, at 1 and 2 threads
  for (const EfficiencyPoint& p : e) {
    INFO(p.kernel << " k=" << p.threads);
    CHECK(p.repetitions == 3);
    if (p.threads == 1) {
      CHECK(p.efficiency == 1.0);
      CHECK(p.efficiency_min == 1.0);
      CHECK(p.efficiency_max == 1.0);
    }
  }
  CHECK(e[0].kernel == "a");
  CHECK(e[0].per_item_ns == 100);  // median of 100, 110, 90
  CHECK(e[1].per_item_ns == 200);
  CHECK(e[1].efficiency == 0.5);
  CHECK(e[1].efficiency_min == 0.3);
  CHECK(e[1].efficiency_max == 0.6875);
  CHECK(e[3].efficiency == Approx(50.0 / 60).epsilon(1e-12));
  CHECK(e[5].efficiency == 0.25);
  // The node: the median over kernels of their medians (0.5, 0.833, 0.25), and the extremes of
  // the per-run medians (run 0: 0.5, run 1: 0.6875, run 2: 0.3).
  CHECK(e[7].kernel == "node");
  CHECK(e[7].threads == 2);
  CHECK(e[7].efficiency == 0.5);
  CHECK(e[7].efficiency_min == 0.3);
  CHECK(e[7].efficiency_max == 0.6875);
  CHECK(e[7].per_item_ns == 0);
  CHECK(e[1].others_max == -1);  // hand_loads record no other processes
  CHECK_THAT(efficiency_csv(e),
             Contains("kernel,threads,repetitions,per_item_ns,efficiency,efficiency_min,"
                      "efficiency_max,others_max\na,1,3,100,1.0000,1.0000,1.0000,\na,2,3,200,"
                      "0.5000,0.3000,0.6875,\n") &&
                 Contains("\nnode,2,3,,0.5000,0.3000,0.6875,\n"));

  std::vector<KernelLoad> ragged = loads;
  ragged[1].per_item_ns.pop_back();
  CHECK_THROWS_WITH(efficiency_points(ragged), Contains("'b'") && Contains("runs differ"));
  ragged = loads;
  ragged[2].per_item_ns[1] = {10};
  CHECK_THROWS_WITH(efficiency_points(ragged), Contains("'c'"));
  ragged[2].per_item_ns[1] = {10, 0};
  CHECK_THROWS_WITH(efficiency_points(ragged), Contains("not positive"));
}

TEST_CASE(
    "a run during which other processes were busy counts only when its kernel has no "
    "quieter one",
    "[unit]") {
  std::vector<KernelLoad> loads = hand_loads();
  loads[0].others_cores = {0.05, 0.3, 0.1};  // a's run 1 (efficiency 0.6875) was disturbed
  loads[1].others_cores = {0.9, 0.8, 1.2};   // every run of b was: all of them count
  const std::vector<EfficiencyPoint> e = efficiency_points(loads, 0.15);
  CHECK(e[1].repetitions == 2);
  CHECK(e[1].efficiency == Approx(0.4).epsilon(1e-12));  // median of 0.5 and 0.3
  CHECK(e[1].efficiency_max == 0.5);
  CHECK(e[1].per_item_ns == 250);  // median of 200 and 300
  CHECK(e[1].others_max == 0.1);
  CHECK(e[3].repetitions == 3);
  CHECK(e[3].others_max == 1.2);
  // The node at k = 2: median over kernels (0.4, 0.833, 0.25); per run, the kernels counted:
  // run 0 (0.5, 0.833, 0.25) -> 0.5, run 1 (1, 0.25) -> 0.625, run 2 (0.3, 0.5, 0.25) -> 0.3.
  CHECK(e[7].efficiency == Approx(0.4).epsilon(1e-12));
  CHECK(e[7].efficiency_min == 0.3);
  CHECK(e[7].efficiency_max == 0.625);
  CHECK(e[7].repetitions == 3);
  // Without a threshold every run counts, as before.
  CHECK(efficiency_points(loads)[1].efficiency == 0.5);
}

MemoryRun hand_run() {
  MemoryRun run;
  run.loads = hand_loads();
  run.loads[0].others_cores = {0.05, 0.3, 0.1};  // the second run stayed busy after 2 re-runs
  run.loads[0].reruns = 2;
  run.quiet_cores = 0.15;
  run.efficiency = efficiency_points(run.loads, run.quiet_cores);
  run.repetitions = 3;
  run.bandwidth_repeats = 10;
  run.array_bytes = std::size_t{256} << 20;
  run.bandwidth = {{1, StreamKernel::kTriad, 24e9, 2.0, 2.5},
                   {2, StreamKernel::kTriad, 24e9, 1.95, 2.0},
                   {2, StreamKernel::kCopy, 16e9, 1.0, 1.1}};
  run.machine.cpu = "Test CPU 9000";
  run.machine.cores = 2;
  run.machine.os = "Linux 6.1 x86_64";
  run.machine.date = "2026-11-24T10:00:00Z";
  run.others_efficiency = 0.25;  // the bandwidth's left unknown (-1): no words for it
  return run;
}

std::vector<double> numbers(const ConfigNode& seq) {
  std::vector<double> v;
  for (const ConfigNode& n : seq.items) v.push_back(*parse_number(n.scalar));
  return v;
}

std::vector<std::string> keys(const ConfigNode& map) {
  std::vector<std::string> k;
  for (const MapEntry& e : map.entries) k.push_back(e.key);
  return k;
}

TEST_CASE(
    "efficiency.yaml parses with the project's reader into node.cpu.efficiency and node.memory",
    "[unit]") {
  const MemoryRun run = hand_run();
  const std::vector<EfficiencyPoint> e = efficiency_points(run.loads);
  CHECK(e[1].others_max == 0.3);
  CHECK(e[7].others_max == 0.3);  // the node: the most of any kernel's runs
  CHECK_THAT(efficiency_csv(e), Contains("\na,2,3,200,0.5000,0.3000,0.6875,0.30\n"));
  const ConfigNode root = parse_yaml(efficiency_yaml(run), "efficiency.yaml");
  REQUIRE(keys(root) == std::vector<std::string>{"node"});
  const ConfigNode& node = *root.find("node");
  REQUIRE(keys(node) == std::vector<std::string>{"cpu", "memory"});
  const ConfigNode& cpu = *node.find("cpu");
  REQUIRE(keys(cpu) == std::vector<std::string>{"efficiency"});
  const ConfigNode& eff = *cpu.find("efficiency");
  REQUIRE(keys(eff) == std::vector<std::string>{"busy_cores", "factor", "source"});
  REQUIRE(eff.find("busy_cores")->is_sequence());
  CHECK(numbers(*eff.find("busy_cores")) == std::vector<double>{1, 2});
  // a counts its quiet runs 0 and 2 (0.5, 0.3: median 0.4); the node: median(0.4, 0.833, 0.25).
  CHECK(numbers(*eff.find("factor")) == std::vector<double>{1.0, 0.4});
  const std::string& src = eff.find("source")->scalar;
  CHECK_THAT(src, Contains("servesim calib bench memory on Test CPU 9000 (2 cores"));
  CHECK_THAT(src, Contains("kernel mix: median over kernels") && Contains("a, b, c"));
  CHECK_THAT(src, Contains("median of 3 repetitions, counting only a kernel's quiet ones where "
                           "it has any (2 to 3 counted per kernel; a run during which other "
                           "processes used > 0.15 cores was measured again, 2 times in all); "
                           "other processes used 0.25 cores meanwhile; 2026-11-24"));
  const ConfigNode& mem = *node.find("memory");
  REQUIRE(keys(mem) == std::vector<std::string>{"bandwidth", "source"});
  // Triad's best at the most threads: 24e9 B / 1.95 s = 12.3 GB/s.
  const ParsedQuantity bw = parse_quantity(mem.find("bandwidth")->scalar, Dimension::kBandwidth);
  REQUIRE(bw.error.empty());
  CHECK(bw.value == Approx(12.3e9).epsilon(1e-12));
  CHECK_THAT(mem.find("source")->scalar, Contains("triad") &&
                                             Contains("best of 10 passes at 2 threads") &&
                                             Contains("256 MiB"));
  CHECK_THAT(mem.find("source")->scalar, !Contains("other processes"));
  MemoryRun all_counted = hand_run();  // no run disturbed: each kernel counts its 3
  all_counted.loads[0].others_cores = {0.05, 0.1, 0.1};
  all_counted.efficiency = efficiency_points(all_counted.loads, all_counted.quiet_cores);
  CHECK_THAT(efficiency_yaml(all_counted), Contains("(3 counted per kernel;"));
}

TEST_CASE("a shrunk quick plan measures and writes memory, efficiency, YAML and machine files",
          "[threads]") {
  MemoryPlan plan = memory_plan(true);
  plan.array_bytes = 3 << 20;  // small and short: this is about the files, not the numbers
  plan.bandwidth_repeats = 2;
  plan.efficiency_seconds = 0.05;
  plan.efficiency_repeats = 2;
  plan.max_threads = 2;
  plan.kernels = {"normalize_chw_cpu", "memcpy_host"};
  plan.max_reruns = 1;
  // Every run counted, whatever other processes do meanwhile: a run left out for a busy
  // neighbour (CTest runs tests side by side) would change the counts checked below.
  plan.quiet_cores = -1;
  std::ostringstream log;
  const MemoryRun run = run_memory_bench(plan, log);
  test::TempDir dir;
  write_memory_outputs(dir.path(), run);
  const std::string mem = file_text(dir.path() / "memory.csv");
  CHECK(count_lines(mem) == 1 + 3 * 2);  // copy, triad, memcpy at 1 and 2 threads
  CHECK_THAT(mem, Contains("\n2,triad,"));
  const std::string eff = file_text(dir.path() / "efficiency.csv");
  CHECK(count_lines(eff) == 1 + 3 * 2);  // two kernels and the node at 1 and 2 threads
  CHECK_THAT(eff, Contains("\nnormalize_chw_cpu,1,2,") && Contains("\nnode,2,2,,"));
  const ConfigNode yaml = load_config_file(dir.path() / "efficiency.yaml");
  CHECK(yaml.find("node")->find("cpu")->find("efficiency")->find("factor")->items.size() == 2);
  CHECK(read_machine(dir.path() / "machine.yaml").repeats == 2);
  CHECK_THAT(log.str(), Contains("bandwidth, 2 threads:") && Contains("efficiency run 2/2"));
  CHECK_THAT(memory_table(run), Contains("node (median of kernels)"));
  plan.kernels = {"jpeg_decode"};
  CHECK_THROWS_WITH(measure_efficiency(plan, 1, log), Contains("'jpeg_decode'"));
}

TEST_CASE("measured bandwidth is memory's, not a loop the compiler dropped", "[real]") {
  std::ostringstream log;
  const std::vector<BandwidthPoint> v = measure_bandwidth(std::size_t{96} << 20, 1, 3, log);
  REQUIRE(v.size() == 3);
  for (const BandwidthPoint& p : v) {
    INFO(stream_kernel_name(p.kernel) << " " << p.best_gbps() << " GB/s");
    // Any DRAM of the last 20 years is above 0.5 GB/s; none of one core near 1000 GB/s, which
    // is what an elided loop over 32 MiB arrays would report.
    CHECK(p.best_gbps() > 0.5);
    CHECK(p.best_gbps() < 1000);
    CHECK(p.best_s <= p.median_s);
  }
}

TEST_CASE("calib bench memory without --out, or with a file as --out, exits 2 before timing",
          "[unit]") {
  test::TempDir dir;
  const auto file = dir.write("taken", "x");
  std::ostringstream out, err;
  CHECK(calib_main({"bench", "memory", "--quick"}, out, err) == 2);
  CHECK_THAT(err.str(), Contains("--out"));
  std::ostringstream o2, e2;
  CHECK(calib_main({"bench", "memory", "--out", file.string()}, o2, e2) == 2);
  CHECK_THAT(e2.str(), Contains("--out") && Contains("not a directory"));
  CHECK(o2.str().empty());
}

TEST_CASE("calib bench memory --quick writes its four files and prints the table", "[slow]") {
  test::TempDir dir;
  const auto out_dir = dir.path() / "run";
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "memory", "--quick", "--out", out_dir.string()}, out, err) == 0);
  for (const char* f : {"memory.csv", "efficiency.csv", "efficiency.yaml", "machine.yaml"})
    CHECK(std::filesystem::exists(out_dir / f));
  CHECK_THAT(out.str(), Contains("triad") && Contains("jpeg_decode_cpu") &&
                            Contains("vit_tiny_block_cpu") && Contains("node (median"));
  CHECK(read_machine(out_dir / "machine.yaml").command == "servesim calib bench memory --quick");
}

// --- repeatability -------------------------------------------------------------------------

TEST_CASE("the spread of coefficients over runs: mean, min, max, sd and relative spread",
          "[unit]") {
  const std::vector<std::vector<Coefficient>> runs = {
      {{"a_ns", 10}, {"ns_per_bytes", 1}},
      {{"a_ns", 12}, {"ns_per_bytes", 1}},
      {{"a_ns", 14}, {"ns_per_bytes", 1}, {"noise_cv", 0.05}}};
  const std::vector<CoefficientSpread> s = coefficient_spread(runs);
  REQUIRE(s.size() == 3);
  CHECK(s[0].name == "a_ns");
  CHECK(s[0].runs == 3);
  CHECK(s[0].mean == 12);
  CHECK(s[0].min == 10);
  CHECK(s[0].max == 14);
  CHECK(s[0].sd == 2);
  CHECK(s[0].relative_spread() == Approx(4.0 / 12).epsilon(1e-15));
  CHECK(s[1].relative_spread() == 0);
  CHECK(s[2].name == "noise_cv");
  CHECK(s[2].runs == 1);
  CHECK(s[2].sd == 0);
  const std::vector<std::vector<Coefficient>> around_zero = {{{"x", -1}}, {{"x", 1}}};
  CHECK(std::isinf(coefficient_spread(around_zero)[0].relative_spread()));
}

TEST_CASE("a curve's coefficients are named by form and input", "[unit]") {
  const auto names = [](const Curve& c) {
    std::string s;
    for (const Coefficient& k : curve_coefficients(c)) s += k.name + "=" + shortest(k.value) + " ";
    return s;
  };
  CHECK(names(Curve::affine(1000, {{CurveInput::kPixels, 2.5}, {CurveInput::kBytes, 10}})) ==
        "a_ns=1000 ns_per_pixels=2.5 ns_per_bytes=10 ");
  CHECK(names(Curve::power(CurveInput::kBytes, 5, 2, 1.5)) == "a_ns=5 b_ns=2 p=1.5 ");
  CHECK(names(Curve::piecewise(CurveInput::kBatch, 100, {50, 10}, {16})) ==
        "a_ns=100 slope0_ns=50 slope1_ns=10 knee=16 ");
  CHECK(names(Curve::table(CurveInput::kBytes, {1024, 4096}, {10, 30})) ==
        "t_ns_at_1024=10 t_ns_at_4096=30 ");
  Curve noisy = Curve::constant(70);
  noisy.with_noise(Distribution::make(DistKind::kLognormal, 1.0, 0.1));
  CHECK(names(noisy) == "a_ns=70 noise_cv=0.1 ");
}

/// A net-bench-like kernel (time affine in bytes) measured by three runs whose machine ran
/// 1.0, 1.1 and 1.2 times as slow: every coefficient's spread is (1.2 - 1.0) / 1.1.
std::vector<std::vector<Sample>> bytes_runs() {
  std::vector<std::vector<Sample>> runs;
  for (const double scale : {1.0, 1.1, 1.2}) {
    std::vector<Sample> v;
    int i = 0;
    for (double bytes = 1024; bytes <= (1 << 20); bytes *= 2)
      for (int r = 0; r < 4; ++r, ++i) {
        const double wobble = 1 + 0.01 * std::sin(2.3 * i);  // +-1%, deterministic
        v.push_back({"net_send", 1, 0, bytes, scale * (10e-6 + 0.5e-9 * bytes) * wobble});
      }
    runs.push_back(v);
  }
  return runs;
}

TEST_CASE("repeat fits one form on every run and reports each coefficient's spread", "[unit]") {
  const std::vector<std::vector<Sample>> runs = bytes_runs();
  const std::vector<std::string> files = {"r1.csv", "r2.csv", "r3.csv"};
  const std::vector<CurveRepeat> r = repeat_fits(runs, files, {"net_send"}, {});
  REQUIRE(r.size() == 1);
  CHECK(r[0].form.label() == "affine[bytes]");
  CHECK(r[0].run_forms == std::vector<std::string>(3, "affine[bytes]"));
  REQUIRE(r[0].coefficients.size() == 3);  // a, the bytes slope, noise cv
  const CoefficientSpread& a = r[0].coefficients[0];
  const CoefficientSpread& slope = r[0].coefficients[1];
  CHECK(a.name == "a_ns");
  CHECK(slope.name == "ns_per_bytes");
  // Within the 1% wobble of the truth: 11 us and 0.55 ns/B on average, spread 0.2 / 1.1.
  CHECK(a.mean == Approx(11000).epsilon(0.02));
  CHECK(a.min == Approx(10000).epsilon(0.02));
  CHECK(a.max == Approx(12000).epsilon(0.02));
  CHECK(a.relative_spread() == Approx(0.2 / 1.1).margin(0.01));
  CHECK(slope.mean == Approx(0.55).epsilon(0.01));
  CHECK(slope.relative_spread() == Approx(0.2 / 1.1).margin(0.01));
  CHECK_THAT(repeat_table(r),
             Contains("net_send: affine[bytes] on every run") && Contains("affine[bytes] x3"));
  CHECK_THAT(repeat_csv(r),
             Contains("kernel,form,coefficient,runs,mean,min,max,sd,relative_spread\n"
                      "net_send,affine[bytes],a_ns,3,"));
}

TEST_CASE("calib repeat reads several samples files; one file or an unknown kernel exits 2",
          "[unit]") {
  test::TempDir dir;
  std::vector<std::string> files;
  const std::vector<std::vector<Sample>> runs = bytes_runs();
  for (std::size_t i = 0; i < runs.size(); ++i)
    files.push_back(
        dir.write("run" + std::to_string(i) + "/samples.csv", samples_csv(runs[i])).string());
  const std::string csv = (dir.path() / "spread.csv").string();
  std::ostringstream out, err;
  REQUIRE(calib_main({"repeat", files[0], files[1], files[2], "--out", csv}, out, err) == 0);
  CHECK_THAT(out.str(), Contains("3 runs") && Contains("ns_per_bytes"));
  CHECK(count_lines(file_text(csv)) == 4);  // header, a, slope, noise cv

  std::ostringstream o1, e1;
  CHECK(calib_main({"repeat", files[0]}, o1, e1) == 2);
  CHECK_THAT(e1.str(), Contains("at least two runs"));
  std::ostringstream o2, e2;
  CHECK(calib_main({"repeat", files[0], files[1], "--kernel", "net_recv"}, o2, e2) == 2);
  CHECK_THAT(e2.str(), Contains("'net_recv'") && Contains("net_send"));
  std::ostringstream o3, e3;
  const auto bad = dir.write("bad.csv", "kernel,batch,pixels,bytes,seconds\nnet_send,1,0,x,1\n");
  CHECK(calib_main({"repeat", files[0], bad.string()}, o3, e3) == 2);
  CHECK_THAT(e3.str(), Contains("bad.csv:2:"));
}

}  // namespace
}  // namespace servesim::calib
