// Tests of the calib verbs (servesim calib bench|fit|show): the files they write read back, a
// fitted curve file loads in servesim's curve reader with its source line, and mistakes exit 2
// with a message that says where.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/machine.h"
#include "calib/samples.h"
#include "sim/config/tree.h"
#include "sim/core/distribution.h"
#include "sim/scenario/curves.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

struct Result {
  int code;
  std::string out, err;
};

Result calib(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = calib_main(args, out, err);
  return {code, out.str(), err.str()};
}

/// Decode-like samples (t = 12us + 2.6ns*pixels + 11.6ns*bytes, 5% noise) and a constant kernel.
std::vector<Sample> synthetic_samples() {
  Rng rng = Rng::stream(5, 0, "test_calib_cli", "noise");
  const Distribution noise = Distribution::make(DistKind::kLognormal, 1.0, 0.05);
  std::vector<Sample> v;
  for (int i = 0; i < 12; ++i) {
    const double px = std::round(4200 * std::pow(2444.0, i / 11.0));
    const double bytes = std::round(px * (0.2 + 0.25 * (i % 4)));
    for (int r = 0; r < 5; ++r)
      v.push_back({"jpeg_decode_cpu", 1, px, bytes,
                   (12e-6 + 2.6e-9 * px + 11.6e-9 * bytes) * noise.sample(rng), 0, 0, 90, 1, 0});
  }
  for (int r = 0; r < 20; ++r)
    v.push_back({"frontend", 1, 0, 0, 70e-6 * noise.sample(rng), 0, 0, 0, 0, 0});
  return v;
}

MachineInfo test_machine() {
  MachineInfo m;
  m.cpu = "Test CPU 9000";
  m.cores = 2;
  m.libraries = {{"libjpeg-turbo", "2.1.5"}, {"opencv", "4.6.0"}};
  m.date = "2026-11-23T01:02:03Z";
  m.command = "servesim calib bench --quick";
  return m;
}

TEST_CASE(
    "calib fit writes curves that servesim loads, each with a source naming its samples "
    "and machine",
    "[unit]") {
  test::TempDir dir;
  const auto samples = dir.write("run/samples.csv", samples_csv(synthetic_samples()));
  dir.write("run/machine.yaml", machine_yaml(test_machine()));
  const auto out = dir.path() / "curves.yaml";
  const Result r = calib({"fit", samples.string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("* affine[pixels,bytes]"));
  CHECK_THAT(r.out, Contains("wrote " + out.string() + " (2 curves)"));
  const CurveSet set = parse_curves(*load_config_file(out).find("curves"));
  REQUIRE(set.size() == 2);
  const Curve& dec = set.at("jpeg_decode_cpu");
  CHECK(dec.form() == CurveForm::kAffine);
  CHECK(set.at("frontend").form() == CurveForm::kConstant);
  CHECK_THAT(dec.source, Contains(samples.string() + " (60 samples of jpeg_decode_cpu)"));
  CHECK_THAT(dec.source, Contains("servesim calib bench --quick on Test CPU 9000 (2 cores)"));
  CHECK_THAT(dec.source, Contains("libjpeg-turbo 2.1.5, opencv 4.6.0; 2026-11-23"));
  CHECK(*dec.fit.samples == 60);

  const Result s = calib({"show", out.string()});
  REQUIRE(s.code == 0);
  CHECK_THAT(s.out, Contains("jpeg_decode_cpu"));
  CHECK_THAT(s.out, Contains("*pixels + "));
  CHECK_THAT(s.out, Contains("source: servesim calib fit of"));
}

TEST_CASE("calib fit --kernel and --form choose what is fitted; unknown ones exit 2", "[unit]") {
  test::TempDir dir;
  const auto samples = dir.write("samples.csv", samples_csv(synthetic_samples()));
  const auto out = (dir.path() / "c.yaml").string();
  const Result one =
      calib({"fit", samples.string(), "--out", out, "--kernel", "frontend", "--form", "constant"});
  REQUIRE(one.code == 0);
  const CurveSet set = parse_curves(*load_config_file(out).find("curves"));
  REQUIRE(set.size() == 1);
  CHECK_THAT(set.at("frontend").source, Contains("machine not recorded"));

  const Result forced = calib({"fit", samples.string(), "--out", out, "--kernel", "jpeg_decode_cpu",
                               "--form", "power[pixels]"});
  REQUIRE(forced.code == 0);
  CHECK(parse_curves(*load_config_file(out).find("curves")).at("jpeg_decode_cpu").form() ==
        CurveForm::kPower);

  const Result typo = calib({"fit", samples.string(), "--out", out, "--kernel", "jpeg_decod_cpu"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Contains("did you mean 'jpeg_decode_cpu'"));
  const Result bad_form = calib({"fit", samples.string(), "--out", out, "--form", "power[px]"});
  CHECK(bad_form.code == 2);
  CHECK_THAT(bad_form.err, Contains("--form: unknown input 'px'"));
  const Result two =
      calib({"fit", samples.string(), "--out", out, "--form", "power[pixels,bytes]"});
  CHECK(two.code == 2);
}

TEST_CASE("calib with a malformed samples file exits 2 naming file:line:col; usage mistakes exit 2",
          "[unit]") {
  test::TempDir dir;
  const auto bad =
      dir.write("bad.csv", "kernel,batch,pixels,bytes,seconds\nk,1,0,0,1e-3\nk,1,x,0,1\n");
  const Result r = calib({"fit", bad.string(), "--out", (dir.path() / "c.yaml").string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains(bad.string() + ":3:5: error: 'pixels': expected a number"));
  CHECK(calib({}).code == 2);
  CHECK(calib({"fit"}).code == 2);
  CHECK(calib({"bench"}).code == 2);  // --out is required
  CHECK(calib({"frobnicate"}).code == 2);
  CHECK(calib({"--help"}).code == 0);
  const Result few =
      calib({"fit", dir.write("one.csv", "kernel,batch,pixels,bytes,seconds\nk,1,0,0,1\n").string(),
             "--out", (dir.path() / "c.yaml").string()});
  CHECK(few.code == 2);  // the user's samples file is short: a usage error at its line
  CHECK_THAT(few.err,
             Contains("one.csv:2:1: error: 'kernel': 'k' has 1 sample; a fit needs at least 2"));
  const Result missing = calib({"show", (dir.path() / "none.yaml").string()});
  CHECK(missing.code == 2);
}

TEST_CASE("calib bench --quick times every kernel and its samples fit", "[calib][slow]") {
  test::TempDir dir;
  const Result b = calib({"bench", "--quick", "--out", dir.path().string()});
  INFO(b.err);
  REQUIRE(b.code == 0);
  const auto samples = read_samples(dir.path() / "samples.csv");
  std::map<std::string, std::vector<const Sample*>> by_kernel;
  for (const Sample& s : samples) by_kernel[s.kernel].push_back(&s);
  for (const char* k : {"jpeg_decode_cpu", "jpeg_decode_cpu_scale_1_2", "jpeg_decode_cpu_scale_1_4",
                        "jpeg_decode_cpu_scale_1_8", "resize_linear_cpu", "resize_area_cpu",
                        "normalize_chw_cpu", "memcpy_host"})
    CHECK(by_kernel.count(k) == 1);
  // The paper's three sizes at three qualities, 5 repeats each.
  const auto& dec = by_kernel["jpeg_decode_cpu"];
  for (const auto& size : {std::pair{60, 70}, {500, 375}, {3564, 2880}})
    CHECK(std::count_if(dec.begin(), dec.end(), [&](const Sample* s) {
            return s->width == size.first && s->height == size.second;
          }) == 15);
  // Decoding 2400 times the pixels takes longer, whatever else runs on the machine.
  double small = 1e9, large = 0;
  for (const Sample* s : dec) {
    if (s->width == 60) small = std::min(small, s->seconds);
    if (s->width == 3564) large = std::max(large, s->seconds);
  }
  CHECK(large > 10 * small);
  // Decode thread scaling at 1 .. cores threads, the first the reference.
  std::ifstream scaling(dir.path() / "scaling.csv");
  std::string line;
  std::getline(scaling, line);
  CHECK(line == "threads,images_per_s,efficiency");
  std::getline(scaling, line);
  CHECK_THAT(line, Contains(",1.0000"));
  CHECK(line.rfind("1,", 0) == 0);
  const MachineInfo m = read_machine(dir.path() / "machine.yaml");
  CHECK(m.cores >= 1);
  CHECK(m.repeats == 5);
  CHECK(m.command == "servesim calib bench --quick");
  CHECK(m.libraries.size() >= 3);

  const auto curves = dir.path() / "curves.yaml";
  const Result f = calib({"fit", (dir.path() / "samples.csv").string(), "--out", curves.string()});
  INFO(f.err);
  REQUIRE(f.code == 0);
  const CurveSet set = parse_curves(*load_config_file(curves).find("curves"));
  CHECK(set.size() == by_kernel.size());
  CHECK_THAT(set.at("jpeg_decode_cpu").source, Contains("servesim calib bench --quick on "));
}

}  // namespace
}  // namespace servesim::calib
