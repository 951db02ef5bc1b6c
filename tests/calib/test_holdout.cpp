// Tests of calib's holdout check: items held out by a rule are left out of the fit and predicted;
// the errors are those of the fitted curve's median at each item, derived here by hand.

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/holdout.h"
#include "calib/samples.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("a holdout rule names a column and its held-out values; mistakes say what to write",
          "[unit]") {
  const HoldoutRule r = parse_holdout_rule("batch=3,24,48");
  CHECK(r.column == "batch");
  CHECK(r.values == std::vector<std::string>{"3", "24", "48"});
  Sample s;
  s.batch = 24;
  CHECK(is_held_out(s, r));
  s.batch = 4;
  CHECK_FALSE(is_held_out(s, r));
  const HoldoutRule sz = parse_holdout_rule("size=500x375,60x70");
  s.width = 60;
  s.height = 70;
  CHECK(is_held_out(s, sz));
  s.height = 71;
  CHECK_FALSE(is_held_out(s, sz));
  auto what = [](const std::string& t) {
    try {
      parse_holdout_rule(t);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(what("batch"), Contains("expected COLUMN=V1,V2"));
  CHECK_THAT(what("colour=red"), Contains("'colour': not a column"));
  CHECK_THAT(what("size=500,375"), Contains("'500': expected WIDTHxHEIGHT for size"));
  CHECK_THAT(what("batch=3,x"), Contains("'x': expected a number for batch"));
}

/// An exactly linear kernel t = 1ms + 2ms * batch, three samples per batch, no noise, except
/// that batch 64 runs 10% slower than the line (a regime the fit cannot see when it is held out).
std::vector<Sample> batch_samples() {
  std::vector<Sample> v;
  for (const double b : {1.0, 2.0, 4.0, 8.0, 16.0, 3.0, 24.0, 64.0})
    for (int r = 0; r < 3; ++r) {
      Sample s;
      s.kernel = "infer";
      s.batch = b;
      s.seconds = (1e-3 + 2e-3 * b) * (b == 64 ? 1.1 : 1.0);
      v.push_back(s);
    }
  return v;
}

TEST_CASE("holdout fits on the other items and predicts the held-out ones", "[unit]") {
  FitOptions affine;
  affine.only = FormSpec{CurveForm::kAffine, {CurveInput::kBatch}};
  const HoldoutResult r =
      run_holdout(batch_samples(), "infer", parse_holdout_rule("batch=3,24,64"), affine);
  CHECK(r.fitted_samples == 15);
  CHECK(r.held_samples == 9);
  REQUIRE(r.items.size() == 8);
  // No noise: the fit is the line, its noise cv 0, so its median is the mean.
  CHECK(r.fit.noise_cv == Approx(0).margin(1e-9));
  for (const HoldoutItem& it : r.items) {
    INFO("batch " << it.x.batch);
    CHECK(it.samples == 3);
    CHECK(it.held_out == (it.x.batch == 3 || it.x.batch == 24 || it.x.batch == 64));
    CHECK(it.predicted_s == Approx(1e-3 + 2e-3 * it.x.batch).epsilon(1e-9));
  }
  // Batch 64 measured 1.1 x 129 ms, predicted 129 ms: error 1/1.1 - 1 = -9.09%.
  CHECK(r.items[7].error == Approx(1 / 1.1 - 1).epsilon(1e-9));
  CHECK(r.worst_error == Approx(1 - 1 / 1.1).epsilon(1e-9));
  CHECK(r.median_error == Approx(0).margin(1e-9));  // of 0, 0, 9.09%

  CHECK_THROWS_WITH(run_holdout(batch_samples(), "infer", parse_holdout_rule("batch=5")),
                    Contains("nothing to predict"));
  CHECK_THROWS_WITH(run_holdout(batch_samples(), "nope", parse_holdout_rule("batch=3")),
                    Contains("has no samples"));
}

TEST_CASE("calib holdout prints the table, writes the CSV, and draws the plot with gnuplot",
          "[unit]") {
  test::TempDir dir;
  const auto samples = dir.write("s.csv", samples_csv(batch_samples()));
  const auto csv = dir.path() / "h.csv";
  const auto png = dir.path() / "h.png";
  std::ostringstream out, err;
  REQUIRE(calib_main({"holdout", samples.string(), "--hold", "batch=3,24,64", "--form",
                      "affine[batch]", "--out", csv.string(), "--plot", png.string()},
                     out, err) == 0);
  INFO(out.str() << err.str());
  CHECK_THAT(out.str(), Contains("held out: median |error| 0.0%, worst 9.1% over 3 items"));
  CHECK_THAT(out.str(), Contains("-9.1%"));
  CHECK(std::filesystem::file_size(png) > 1000);
  std::ifstream f(csv);
  std::string header;
  std::getline(f, header);
  CHECK(header ==
        "kernel,batch,pixels,bytes,width,height,quality,held_out,samples,measured_s,predicted_s,"
        "error");
  std::ostringstream o2, e2;
  CHECK(calib_main({"holdout", samples.string(), "--hold", "batch"}, o2, e2) == 2);
  CHECK_THAT(e2.str(), Contains("--hold: 'batch': expected COLUMN=V1,V2"));
  // A rule that holds out every sample leaves nothing to fit: the user's --hold, exit 2 (was 1).
  std::ostringstream o3, e3;
  CHECK(calib_main({"holdout", samples.string(), "--hold", "batch=1,2,3,4,8,16,24,64"}, o3, e3) ==
        2);
  CHECK_THAT(e3.str(), Contains("--hold: kernel"));
}

TEST_CASE("calib show --plot draws each curve over its samples", "[unit]") {
  test::TempDir dir;
  const auto samples = dir.write("s.csv", samples_csv(batch_samples()));
  const auto curves = dir.path() / "c.yaml";
  std::ostringstream out, err;
  REQUIRE(calib_main({"fit", samples.string(), "--out", curves.string()}, out, err) == 0);
  const auto png = dir.path() / "c.png";
  REQUIRE(
      calib_main({"show", curves.string(), "--samples", samples.string(), "--plot", png.string()},
                 out, err) == 0);
  INFO(out.str() << err.str());
  CHECK_THAT(out.str(), Contains("wrote " + png.string() + " (1 curve)"));
  CHECK(std::filesystem::file_size(png) > 1000);
  std::ostringstream o2, e2;
  CHECK(calib_main({"show", curves.string(), "--plot", png.string()}, o2, e2) == 2);  // no samples
}

}  // namespace
}  // namespace servesim::calib
