// Tests of calib's samples CSV: what the benchmarks write reads back exactly, and every kind of
// mistake in a hand-made or foreign file is an error at its file:line:col.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "calib/samples.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;
using test::col_of;
using test::config_error;
using test::line_of;

/// "<f>:LINE:COL: error: " at the first occurrence of `needle` in `text`.
std::string at(const std::string& text, const std::string& needle) {
  return "<f>:" + std::to_string(line_of(text, needle)) + ":" +
         std::to_string(col_of(text, needle)) + ": error: ";
}

std::string what(const std::string& text) {
  return config_error([&] { parse_samples(text, "<f>"); }).what();
}

TEST_CASE("a samples file with optional columns in any order parses to its numbers", "[unit]") {
  const auto s = parse_samples(
      "# written by hand\n"
      "kernel, seconds ,batch,pixels,bytes,quality,width,height\r\n"
      "jpeg_decode_cpu,0.0041,1,187500,121000,90,500,375\r\n"
      "\n"
      "memcpy_host,2.5e-05,1,0,1048576,,,\n",
      "<f>");
  REQUIRE(s.size() == 2);
  CHECK(s[0].kernel == "jpeg_decode_cpu");
  CHECK(s[0].seconds == 0.0041);
  CHECK(s[0].pixels == 187500);
  CHECK(s[0].bytes == 121000);
  CHECK(s[0].quality == 90);
  CHECK(s[0].width == 500);
  CHECK(s[0].height == 375);
  CHECK(s[0].threads == 0);
  CHECK(s[0].line == 3);
  CHECK(s[1].kernel == "memcpy_host");
  CHECK(s[1].quality == 0);
  CHECK(s[1].bytes == 1048576);
  CHECK(s[1].line == 5);
  CHECK(kernel_names(s) == std::vector<std::string>{"jpeg_decode_cpu", "memcpy_host"});
}

TEST_CASE("samples written by samples_csv read back exactly, through a file", "[unit]") {
  std::vector<Sample> in;
  in.push_back({"jpeg_decode_cpu", 1, 4200, 2817, 3.0517578125e-05, 60, 70, 75, 1, 0});
  in.push_back({"vit_block_cpu", 48, 0, 0, 0.1 + 0.2, 0, 0, 0, 0, 0});  // 0.30000000000000004
  in.push_back({"memcpy_host", 1, 0, 1e9 / 3, 1.0 / 3e5, 0, 0, 0, 0, 0});
  const std::string text = samples_csv(in);
  CHECK(text.substr(0, text.find('\n')) ==
        "kernel,batch,pixels,bytes,seconds,width,height,quality,threads");
  test::TempDir dir;
  const auto out = read_samples(dir.write("s.csv", text));
  REQUIRE(out.size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CHECK(out[i].kernel == in[i].kernel);
    CHECK(out[i].batch == in[i].batch);
    CHECK(out[i].pixels == in[i].pixels);
    CHECK(out[i].bytes == in[i].bytes);
    CHECK(out[i].seconds == in[i].seconds);
    CHECK(out[i].width == in[i].width);
    CHECK(out[i].quality == in[i].quality);
    CHECK(out[i].threads == in[i].threads);
  }
  // Without optional values the writer leaves their columns out.
  const std::vector<Sample> plain{{"k", 2, 0, 0, 1e-3, 0, 0, 0, 0, 0}};
  CHECK(samples_csv(plain) == "kernel,batch,pixels,bytes,seconds\nk,2,0,0,0.001\n");
}

TEST_CASE("a header mistake is an error at the offending column name", "[unit]") {
  const std::string unknown = "kernel,batch,pixels,bytes,secnds\nk,1,0,0,1\n";
  CHECK_THAT(what(unknown), Contains(at(unknown, "secnds") + "unknown column 'secnds'"));
  CHECK_THAT(what(unknown), Contains("did you mean 'seconds'"));
  const std::string twice = "kernel,batch,pixels,bytes,seconds,batch\nk,1,0,0,1,1\n";
  CHECK_THAT(what(twice), Contains("<f>:1:35: error: column 'batch' appears twice"));
  const std::string missing = "# c\nkernel,batch,pixels,seconds\n";
  CHECK_THAT(what(missing), Contains("<f>:2:1: error: the header lacks column 'bytes'"));
}

TEST_CASE("a bad row is an error at the line and column of the bad field", "[unit]") {
  const std::string h = "kernel,batch,pixels,bytes,seconds\n";
  const std::string neg = h + "ok,1,0,0,0.5\nk,1,0,0,-0.002\n";
  CHECK_THAT(what(neg), Contains(at(neg, "-0.002") + "'seconds': must be > 0, got '-0.002'"));
  const std::string word = h + "k,1,lots,0,1\n";
  CHECK_THAT(what(word), Contains(at(word, "lots") + "'pixels': expected a number"));
  const std::string batch0 = h + "k,0,0,0,1\n";
  CHECK_THAT(what(batch0), Contains("<f>:2:3: error: 'batch': must be >= 1, got '0'"));
  const std::string few = h + "k,1,0,1\n";
  CHECK_THAT(what(few), Contains("<f>:2:8: error: expected 5 fields as in the header, got 4"));
  const std::string many = h + "k,1,0,1,2,3\n";
  CHECK_THAT(what(many), Contains("<f>:2:11: error: expected 5 fields as in the header, got 6"));
  const std::string name = h + "jpeg decode,1,0,0,1\n";
  CHECK_THAT(what(name), Contains("<f>:2:1: error: 'kernel': a kernel name is a non-empty word"));
  const std::string quoted = h + "\"k\",1,0,0,1\n";
  CHECK_THAT(what(quoted), Contains("<f>:2:1: error: quoted fields are not supported"));
  const std::string q = "kernel,batch,pixels,bytes,seconds,quality\nk,1,0,0,1,101\n";
  CHECK_THAT(what(q), Contains(at(q, "101") + "'quality': must be between 1 and 100"));
  const std::string frac = "kernel,batch,pixels,bytes,seconds,width\nk,1,0,0,1,2.5\n";
  CHECK_THAT(what(frac), Contains(at(frac, "2.5") + "'width': expected a whole number"));
  const std::string inf = h + "k,1,0,0,inf\n";
  CHECK_THAT(what(inf), Contains(at(inf, "inf") + "'seconds': expected a number"));
}

TEST_CASE("an empty or header-only samples file is an error, and so is a missing one", "[unit]") {
  CHECK_THAT(what(""), Contains("<f>:1:1: error: the file is empty"));
  CHECK_THAT(what("kernel,batch,pixels,bytes,seconds\n"),
             Contains("error: the file has a header but no samples"));
  CHECK_THAT(config_error([] { read_samples("/nonexistent/s.csv"); }).what(),
             Contains("/nonexistent/s.csv:1:1: error: cannot open the file"));
}

}  // namespace
}  // namespace servesim::calib
