// Tests of calib's importers: trtexec --exportTimes files (fixtures written from the format
// trtexec's exportJSONTrace prints, TensorRT 8+ and 7.x keys) and perf_analyzer -f CSVs (fixtures
// with the columns its CSV writer prints, plain and --verbose-csv) become samples, and malformed
// files are errors naming file:line:col.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "calib/calib_cli.h"
#include "calib/importers.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;
using test::config_error;

const std::string kFixtures = std::string(SERVESIM_SOURCE_DIR) + "/tests/calib/fixtures/";

TEST_CASE("trtexec --exportTimes (TensorRT 8+) gives infer, H2D and D2H samples per inference",
          "[unit]") {
  const auto s =
      import_trtexec(kFixtures + "trtexec_times.json", {"vit_base_trt", 16, 16 * 602112.0, 16000});
  REQUIRE(s.size() == 12);
  CHECK(s[0].kernel == "vit_base_trt_infer");
  CHECK(s[0].batch == 16);
  CHECK(s[0].seconds == Approx(1.607e-3));
  CHECK(s[1].kernel == "vit_base_trt_h2d");
  CHECK(s[1].bytes == 16 * 602112.0);
  CHECK(s[1].seconds == Approx(0.091e-3));
  CHECK(s[2].kernel == "vit_base_trt_d2h");
  CHECK(s[11].seconds == Approx(0.006e-3));
  // Without sizes, only the compute samples.
  CHECK(import_trtexec(kFixtures + "trtexec_times.json", {"m", 1, 0, 0}).size() == 4);
}

TEST_CASE("trtexec --exportTimes of TensorRT 7 (inMs, outMs) imports the same way", "[unit]") {
  const auto s = import_trtexec(kFixtures + "trtexec_times_v7.json", {"r50", 8, 4.8e6, 32000});
  REQUIRE(s.size() == 6);
  CHECK(s[0].seconds == Approx(3.153e-3));
  CHECK(s[1].kernel == "r50_h2d");
  CHECK(s[1].seconds == Approx(0.093e-3));
}

TEST_CASE("a malformed trtexec file is an error at the offending line and column", "[unit]") {
  test::TempDir dir;
  auto what = [&](const std::string& text) {
    const auto p = dir.write("t.json", text);
    return std::string(config_error([&] { import_trtexec(p, {"m", 1, 0, 0}); }).what());
  };
  CHECK_THAT(what("{\"computeMs\": 1}"), Contains("t.json:1:1: error: expected trtexec"));
  CHECK_THAT(what("[\n  {\"computeMs\": 1.5},\n  {\"inMs\": 0.1}\n]\n"),
             Contains("t.json:3:3: error: '[1]': no \"computeMs\""));
  CHECK_THAT(what("[\n  {\"computeMs\": 1.5},\n  {\"computeMs\": \"fast\"}\n]\n"),
             Contains("t.json:3:17: error: '[1].computeMs': expected a number of milliseconds"));
  CHECK_THAT(what("[{\"computeMs\": 0}]"), Contains("'[0].computeMs': must be > 0"));
  CHECK_THAT(what("[]"), Contains("the list of inferences is empty"));
  CHECK_THAT(what("[{\"computeMs\": 1,]"), Contains("t.json:1:"));
}

TEST_CASE("perf_analyzer's CSV gives compute input, infer and output samples per load level",
          "[unit]") {
  const PerfAnalyzerSamples got =
      import_perf_analyzer(kFixtures + "perf_analyzer_b8.csv", {"vit", 8, 4816896, 8000});
  REQUIRE(got.rows.size() == 3);
  CHECK(got.rows[0].load == "Concurrency 1");
  CHECK(got.rows[2].load == "Concurrency 4");
  CHECK(got.rows[1].inferences_per_second == 2190.4);
  CHECK(got.rows[2].queue_s == Approx(6150e-6));
  REQUIRE(got.samples.size() == 9);
  const Sample& in = got.samples[0];
  CHECK(in.kernel == "vit_compute_input");
  CHECK(in.batch == 8);
  CHECK(in.bytes == 4816896);
  CHECK(in.seconds == Approx(702e-6));
  CHECK(got.samples[1].kernel == "vit_compute_infer");
  CHECK(got.samples[1].seconds == Approx(5312e-6));
  CHECK(got.samples[1].bytes == 0);
  CHECK(got.samples[2].kernel == "vit_compute_output");
  CHECK(got.samples[2].bytes == 8000);
  CHECK(got.samples[8].seconds == Approx(26e-6));
  CHECK(got.samples[8].line == 4);
}

TEST_CASE("perf_analyzer --verbose-csv with request rates imports; zero times give no sample",
          "[unit]") {
  const PerfAnalyzerSamples got =
      import_perf_analyzer(kFixtures + "perf_analyzer_verbose.csv", {"resnet", 1, 0, 0});
  REQUIRE(got.rows.size() == 2);
  CHECK(got.rows[1].load == "Request Rate 200");
  REQUIRE(got.samples.size() == 2);  // compute input and output were 0: not measured
  CHECK(got.samples[0].kernel == "resnet_compute_infer");
  CHECK(got.samples[1].seconds == Approx(1502e-6));
}

TEST_CASE("a malformed perf_analyzer CSV is an error at the offending line and column", "[unit]") {
  test::TempDir dir;
  auto what = [&](const std::string& text) {
    const auto p = dir.write("pa.csv", text);
    return std::string(config_error([&] { import_perf_analyzer(p, {"m", 1, 0, 0}); }).what());
  };
  const std::string header =
      "Concurrency,Inferences/Second,Server Queue,Server Compute Input,Server Compute Infer,Server "
      "Compute Output\n";
  CHECK_THAT(what(""), Contains("pa.csv:1:1: error: empty file"));
  CHECK_THAT(what("Concurrency,Inferences/Second\n1,20\n"),
             Contains("pa.csv:1:1: error: no 'Server Compute Infer' column"));
  CHECK_THAT(what(header), Contains("no rows after the header"));
  CHECK_THAT(what(header + "1,100,5,10,900,3\n2,180,7,10,fast,3\n"),
             Contains("pa.csv:3:12: error: 'Server Compute Infer': expected a time in "
                      "microseconds >= 0, got 'fast'"));
  CHECK_THAT(what(header + "1,100,5,-10,900,3\n"),
             Contains("pa.csv:2:9: error: 'Server Compute Input'"));
  CHECK_THAT(what(header + "1,100,5,10,900\n"), Contains("pa.csv:2:1: error: expected 6 cells"));
}

TEST_CASE("calib import trtexec --append collects batch sizes into one samples file that fits",
          "[unit]") {
  test::TempDir dir;
  const auto out = (dir.path() / "samples.csv").string();
  std::ostringstream o, e;
  for (const char* b : {"1", "8", "16"})
    REQUIRE(calib_main({"import", "trtexec", kFixtures + "trtexec_times.json", "--name", "vit",
                        "--batch", b, "--input-bytes", "588KiB", "--out", out, "--append"},
                       o, e) == 0);
  INFO(e.str());
  CHECK_THAT(o.str(), Contains("imported 8 samples (vit_infer, vit_h2d, batch 16)"));
  const auto s = read_samples(out);
  CHECK(s.size() == 24);
  CHECK(s[1].bytes == 588 * 1024);
  REQUIRE(calib_main({"fit", out, "--out", (dir.path() / "c.yaml").string()}, o, e) == 0);
  CHECK(calib_main({"import", "trtexec", kFixtures + "trtexec_times.json", "--name", "vit",
                    "--batch", "1", "--input-bytes", "lots", "--out", out},
                   o, e) == 2);
}

TEST_CASE("calib import perf-analyzer writes samples, shows the queue it leaves out, and fits",
          "[unit]") {
  test::TempDir dir;
  const auto out = (dir.path() / "pa.csv").string();
  std::ostringstream o, e;
  REQUIRE(calib_main({"import", "perf-analyzer", kFixtures + "perf_analyzer_b8.csv", "--name",
                      "vit", "--batch", "8", "--input-bytes", "4704KiB", "--out", out},
                     o, e) == 0);
  INFO(o.str() << e.str());
  CHECK_THAT(o.str(), Contains("Concurrency 4"));
  CHECK_THAT(o.str(), Contains("6150us"));
  CHECK_THAT(o.str(), Contains("imported 9 samples"));
  CHECK(read_samples(out).size() == 9);
  REQUIRE(calib_main({"fit", out, "--out", (dir.path() / "c.yaml").string()}, o, e) == 0);
  CHECK_THAT(o.str(), Contains("vit_compute_infer: 3 samples"));
  CHECK(calib_main({"import", "perf-analyzer", kFixtures + "trtexec_times.json", "--name", "vit",
                    "--batch", "1", "--out", out},
                   o, e) == 2);
}

}  // namespace
}  // namespace servesim::calib
