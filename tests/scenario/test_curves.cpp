// Tests of the curves: reader: every form parses to the curve its coefficients say, and every
// kind of mistake is an error at the exact file:line:col of the offending text, with its key path.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/scenario/curves.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using test::col_of;
using test::line_of;

CurveSet parse_curves_text(const std::string& text) {
  const ConfigNode root = load_config_text(text, "<test>", ".");
  const ConfigNode* curves = root.find("curves");
  REQUIRE(curves != nullptr);
  return parse_curves(*curves);
}

using test::config_error;

/// "<test>:LINE:COL: error: 'KEY': " for the first occurrence of `needle` in `text`.
std::string prefix(const std::string& text, const std::string& needle, const std::string& key) {
  return "<test>:" + std::to_string(line_of(text, needle)) + ":" +
         std::to_string(col_of(text, needle)) + ": error: '" + key + "': ";
}

TEST_CASE("The reference's example curve parses to a = 45000 ns and 7.9 ns per pixel", "[unit]") {
  const CurveSet set = parse_curves_text(R"(curves:
  jpeg_decode_cpu:
    inputs: [pixels]
    form: affine            # t = a + b * pixels
    coef: {a: 0.045ms, b: 7.9ns}
    noise: {dist: lognormal, cv: 0.06}
    fit: {r2: 0.997, rmse: 0.012ms, samples: 240, holdout_error: 0.031}
    source: "servesim calib bench; AMD EPYC (2 cores), libjpeg-turbo 2.1.5, 2026-11-22"
)");
  REQUIRE(set.size() == 1);
  const Curve& c = set.at("jpeg_decode_cpu");
  CHECK(c.form() == CurveForm::kAffine);
  REQUIRE(c.inputs().size() == 1);
  CHECK(c.inputs()[0] == CurveInput::kPixels);
  CHECK(c.a_ns() == 45000);
  CHECK(c.slope_ns(CurveInput::kPixels) == 7.9);
  CHECK(c.mean_ns({1, 500 * 375, 0}) == Approx(45000 + 7.9 * 500 * 375).epsilon(1e-12));
  REQUIRE(c.noise() != nullptr);
  CHECK(c.noise()->kind() == DistKind::kLognormal);
  CHECK(c.noise()->mean() == 1.0);
  CHECK(c.noise()->cv() == 0.06);
  CHECK(c.fit.r2 == 0.997);
  CHECK(c.fit.rmse_ns == 12000);
  CHECK(c.fit.samples == 240);
  CHECK(c.fit.holdout_error == 0.031);
  CHECK(c.source == "servesim calib bench; AMD EPYC (2 cores), libjpeg-turbo 2.1.5, 2026-11-22");
}

TEST_CASE("every curve form parses to the curve its coefficients describe", "[unit]") {
  const CurveSet set = parse_curves_text(R"(curves:
  fixed: {form: constant, coef: {a: 2ms}, source: "assumption: a fixed 2 ms"}
  fixed_empty_inputs: {form: constant, inputs: [], coef: {a: 0ns}, source: x, noise: none}
  two:
    form: affine
    inputs: [batch, bytes]
    coef: {a: 10us, b_batch: 1us, b_bytes: 0.5ns}
    noise: {dist: gamma, cv: 0.2}
    source: "assumption: made up for a test"
  pow: {form: power, inputs: [batch], coef: {a: 1ms, b: 200us, p: 0.8}, source: s}
  roof:
    form: piecewise
    inputs: [batch]
    coef: {a: 1ms, b: [500us, 100us, 400us], knees: [8, 32]}
    source: "a document, figure 3"
  line: {form: piecewise, inputs: [pixels], coef: {a: 0ns, b: [2ns], knees: []}, source: s}
  tab:
    form: table
    inputs: [batch]
    table: {x: [1, 2, 4, 8], t: [1ms, 1.5ms, 2.5ms, 4.5ms]}
    noise: {dist: lognormal, cv: 0}
    source: s
)");
  REQUIRE(set.size() == 7);

  const Curve& fixed = set.at("fixed");
  CHECK(fixed.form() == CurveForm::kConstant);
  CHECK(fixed.mean_ns({64, 1e6, 1e6}) == 2e6);
  CHECK(fixed.noise() == nullptr);
  CHECK(fixed.fit.empty());
  CHECK(set.at("fixed_empty_inputs").mean_ns({}) == 0);

  const Curve& two = set.at("two");
  REQUIRE(two.inputs().size() == 2);
  CHECK(two.inputs()[0] == CurveInput::kBatch);
  CHECK(two.inputs()[1] == CurveInput::kBytes);
  CHECK(two.slope_ns(CurveInput::kBatch) == 1000);
  CHECK(two.slope_ns(CurveInput::kBytes) == 0.5);
  CHECK(two.mean_ns({4, 0, 1000}) == 10000 + 4000 + 500);
  REQUIRE(two.noise() != nullptr);
  CHECK(two.noise()->kind() == DistKind::kGamma);
  CHECK(two.noise()->cv() == 0.2);

  const Curve& pow = set.at("pow");
  CHECK(pow.form() == CurveForm::kPower);
  CHECK(pow.b_ns() == 200000);
  CHECK(pow.exponent() == 0.8);
  CHECK(pow.mean_ns({32, 0, 0}) == Approx(1e6 + 2e5 * std::pow(32.0, 0.8)).epsilon(1e-12));

  const Curve& roof = set.at("roof");
  CHECK(roof.form() == CurveForm::kPiecewise);
  CHECK(roof.slopes_ns().size() == 3);
  CHECK(roof.knees().size() == 2);
  CHECK(roof.mean_ns({8, 0, 0}) == 5e6);
  CHECK(roof.mean_ns({32, 0, 0}) == 7.4e6);
  CHECK(roof.mean_ns({40, 0, 0}) == 7.4e6 + 8 * 4e5);
  CHECK(set.at("line").mean_ns({1, 100, 0}) == 200);

  const Curve& tab = set.at("tab");
  CHECK(tab.form() == CurveForm::kTable);
  CHECK(tab.table_xs().size() == 4);
  CHECK(tab.mean_ns({3, 0, 0}) == 2e6);
  CHECK(tab.mean_ns({16, 0, 0}) == 8.5e6);
  CHECK(tab.noise() == nullptr);  // cv 0 is no noise
}

TEST_CASE("an empty curves map is an empty set; curves that are not a map are an error", "[unit]") {
  CHECK(parse_curves_text("curves: {}\n").empty());
  const std::string text = "curves: [a, b]\n";
  const ConfigError e = config_error([&] { parse_curves_text(text); });
  CHECK_THAT(e.what(), StartsWith(prefix(text, "[a", "curves")));
  CHECK_THAT(e.what(), Contains("expected a map of curve names"));
}

struct Bad {
  const char* what;
  std::string yaml;    // the whole file
  std::string needle;  // the text the error must point at (first occurrence)
  std::string key;     // the key path it must name
  std::string message;
};

/// Each case's error starts at its needle's file:line:col and key, and says its message.
void check_errors(const std::vector<Bad>& cases) {
  for (const Bad& b : cases) {
    INFO(b.what << ":\n" << b.yaml);
    REQUIRE(line_of(b.yaml, b.needle) > 0);
    const ConfigError e = config_error([&] { parse_curves_text(b.yaml); });
    CHECK_THAT(e.what(), StartsWith(prefix(b.yaml, b.needle, b.key)));
    CHECK_THAT(e.what(), Contains(b.message));
    CHECK(e.key() == b.key);
  }
}

TEST_CASE("each kind of mistake in a curve is an error at its file:line:col and key path",
          "[unit]") {
  const std::vector<Bad> cases = {
      {"missing source", "curves:\n  jpeg:\n    form: constant\n    coef: {a: 1ms}\n",
       "jpeg:", "curves.jpeg.source",
       "every curve needs a source: (measured by calib, a document and figure, or 'assumption: "
       "...')"},
      {"empty source", "curves:\n  c: {form: constant, coef: {a: 1ms}, source: \"  \"}\n", "\"  \"",
       "curves.c.source", "is empty; every curve needs a source:"},
      {"typo in a curve key", "curves:\n  c: {form: constant, coef: {a: 1ms}, sorce: x}\n", "sorce",
       "curves.c.sorce", "unknown key; did you mean 'source'?"},
      {"unknown form",
       "curves:\n  c: {form: afine, inputs: [batch], coef: {a: 1ms, b: 1us}, source: s}\n", "afine",
       "curves.c.form",
       "'afine' is not one of: constant, affine, power, piecewise, table; did you mean 'affine'?"},
      {"missing form", "curves:\n  c:\n    coef: {a: 1ms}\n    source: s\n", "c:", "curves.c.form",
       "required key is missing"},
      {"unknown input",
       "curves:\n  c: {form: affine, inputs: [batch, pixel], coef: {a: 1ms, b_batch: 1us, "
       "b_pixels: 1ns}, source: s}\n",
       "pixel]", "curves.c.inputs[1]",
       "unknown input 'pixel' (one of: batch, pixels, bytes); did you mean 'pixels'?"},
      {"input listed twice",
       "curves:\n  c: {form: affine, inputs: [bytes, bytes], coef: {a: 1ms}, source: s}\n",
       "bytes]", "curves.c.inputs[1]", "input 'bytes' is listed twice"},
      {"inputs not a list",
       "curves:\n  c: {form: affine, inputs: pixels, coef: {a: 1ms, b: 1ns}, source: s}\n",
       "pixels,", "curves.c.inputs", "expected a list of input names"},
      {"missing inputs", "curves:\n  c: {form: affine, coef: {a: 1ms, b: 1ns}, source: s}\n",
       "c:", "curves.c.inputs", "required key is missing"},
      {"a constant with an input",
       "curves:\n  c: {form: constant, inputs: [batch], coef: {a: 1ms}, source: s}\n", "[batch]",
       "curves.c.inputs", "a constant curve depends on no input"},
      {"a power curve with two inputs",
       "curves:\n  c: {form: power, inputs: [batch, pixels], coef: {a: 1ms, b: 1us, p: 2}, "
       "source: s}\n",
       "[batch", "curves.c.inputs", "form: power takes exactly one input, got 2"},
      {"negative intercept",
       "curves:\n  c: {form: affine, inputs: [pixels], coef: {a: -1ms, b: 1ns}, source: s}\n",
       "-1ms", "curves.c.coef.a", "must be >= 0, got '-1ms'"},
      {"negative slope",
       "curves:\n  c:\n    form: affine\n    inputs: [pixels]\n    coef:\n      a: 1ms\n      b: "
       "-7.9ns\n    source: s\n",
       "-7.9ns", "curves.c.coef.b", "must be >= 0, got '-7.9ns'"},
      {"a duration without a unit",
       "curves:\n  c: {form: affine, inputs: [pixels], coef: {a: 45000, b: 1ns}, source: s}\n",
       "45000", "curves.c.coef.a", "'45000' has no unit"},
      {"a duration with an unknown unit",
       "curves:\n  c: {form: affine, inputs: [pixels], coef: {a: 4ms, b: 1nsec}, source: s}\n",
       "1nsec", "curves.c.coef.b", "unknown unit 'nsec'"},
      {"b with several inputs",
       "curves:\n  c: {form: affine, inputs: [batch, pixels], coef: {a: 1ms, b: 1us}, source: "
       "s}\n",
       "1us", "curves.c.coef.b", "use b_batch, b_pixels instead of b"},
      {"a missing b_<input>",
       "curves:\n  c:\n    form: affine\n    inputs: [batch, pixels]\n    coef: {a: 1ms, "
       "b_batch: 1us}\n    source: s\n",
       "coef:", "curves.c.coef.b_pixels", "required key is missing in 'curves.c.coef'"},
      {"a slope for an input the curve does not have",
       "curves:\n  c: {form: affine, inputs: [batch, pixels], coef: {a: 1ms, b_batch: 1us, "
       "b_pixels: 1ns, b_bytes: 2ns}, source: s}\n",
       "2ns", "curves.c.coef.b_bytes", "'bytes' is not among this curve's inputs"},
      {"an unknown coefficient",
       "curves:\n  c: {form: constant, coef: {a: 1ms, b: 1ns}, source: s}\n",
       "b:", "curves.c.coef.b", "unknown key"},
      {"p = 0",
       "curves:\n  c: {form: power, inputs: [batch], coef: {a: 1ms, b: 1us, p: 0}, source: s}\n",
       "0}", "curves.c.coef.p", "the exponent p must be > 0, got '0'"},
      {"p negative",
       "curves:\n  c: {form: power, inputs: [batch], coef: {a: 1ms, b: 1us, p: -2}, source: s}\n",
       "-2", "curves.c.coef.p", "must be > 0"},
      {"p with a unit",
       "curves:\n  c: {form: power, inputs: [batch], coef: {a: 1ms, b: 1us, p: 2ms}, source: "
       "s}\n",
       "2ms", "curves.c.coef.p", "expected a plain number (no unit), got '2ms'"},
      {"piecewise slopes and knees of the wrong lengths",
       "curves:\n  c: {form: piecewise, inputs: [batch], coef: {a: 1ms, b: [1ms, 2ms], knees: "
       "[8, 16]}, source: s}\n",
       "[1ms", "curves.c.coef.b", "got 2 slopes and 2 knees"},
      {"unsorted knees",
       "curves:\n  c: {form: piecewise, inputs: [batch], coef: {a: 1ms, b: [1ms, 2ms, 3ms], "
       "knees: [16, 8]}, source: s}\n",
       "8]", "curves.c.coef.knees[1]", "must be greater than the value before it ('16')"},
      {"a knee at 0",
       "curves:\n  c: {form: piecewise, inputs: [batch], coef: {a: 1ms, b: [1ms, 2ms], knees: "
       "[0]}, source: s}\n",
       "0]", "curves.c.coef.knees[0]", "must be > 0, got '0'"},
      {"a negative piecewise slope",
       "curves:\n  c: {form: piecewise, inputs: [batch], coef: {a: 1ms, b: [1ms, -2ms], knees: "
       "[4]}, source: s}\n",
       "-2ms", "curves.c.coef.b[1]", "must be >= 0"},
      {"unsorted table x",
       "curves:\n  c: {form: table, inputs: [batch], table: {x: [1, 4, 4], t: [1ms, 2ms, 3ms]}, "
       "source: s}\n",
       "4]", "curves.c.table.x[2]", "strictly increasing"},
      {"table lengths differ",
       "curves:\n  c: {form: table, inputs: [batch], table: {x: [1, 4], t: [1ms, 2ms, 3ms]}, "
       "source: s}\n",
       "[1ms", "curves.c.table.t", "got 2 x values and 3 times"},
      {"an empty table",
       "curves:\n  c: {form: table, inputs: [batch], table: {x: [], t: []}, source: s}\n", "[]",
       "curves.c.table.x", "expected a non-empty list"},
      {"coef on a table",
       "curves:\n  c: {form: table, inputs: [batch], coef: {a: 1ms}, table: {x: [1], t: [1ms]}, "
       "source: s}\n",
       "{a:", "curves.c.coef", "form: table takes its points as table:"},
      {"table on an affine curve",
       "curves:\n  c: {form: affine, inputs: [batch], coef: {a: 1ms, b: 1us}, table: {x: [1], t: "
       "[1ms]}, source: s}\n",
       "{x:", "curves.c.table", "table: belongs to form: table"},
      {"an unknown noise distribution",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, noise: {dist: normal, cv: 0.1}, source: "
       "s}\n",
       "normal", "curves.c.noise.dist", "'normal' is not one of: lognormal, gamma"},
      {"noise cv out of range",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, noise: {dist: gamma, cv: 11}, source: s}\n",
       "11", "curves.c.noise.cv", "must be between 0 and 10"},
      {"noise without cv",
       "curves:\n  c:\n    form: constant\n    coef: {a: 1ms}\n    noise: {dist: gamma}\n    "
       "source: s\n",
       "noise:", "curves.c.noise.cv", "required key is missing"},
      {"noise as some other word",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, noise: off, source: s}\n", "off",
       "curves.c.noise", "or none, got 'off'"},
      {"r2 above 1", "curves:\n  c: {form: constant, coef: {a: 1ms}, fit: {r2: 1.5}, source: s}\n",
       "1.5", "curves.c.fit.r2", "r2 is at most 1"},
      {"a negative rmse",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, fit: {rmse: -1us}, source: s}\n", "-1us",
       "curves.c.fit.rmse", "must be >= 0"},
      {"a fractional sample count",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, fit: {samples: 2.5}, source: s}\n", "2.5",
       "curves.c.fit.samples", "expected a whole number"},
      {"a negative holdout error",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, fit: {holdout_error: -0.1}, source: s}\n",
       "-0.1", "curves.c.fit.holdout_error", "a relative error is >= 0"},
      {"a typo in fit",
       "curves:\n  c: {form: constant, coef: {a: 1ms}, fit: {samles: 3}, source: s}\n", "samles",
       "curves.c.fit.samles", "did you mean 'samples'?"},
      {"a curve name with a dot",
       "curves:\n  jpeg.cpu: {form: constant, coef: {a: 1ms}, source: s}\n", "jpeg.cpu",
       "curves.jpeg.cpu", "a curve name must be non-empty without spaces, dots or brackets"},
  };
  check_errors(cases);
}

TEST_CASE("each kind of mistake in an uncertainty band is an error at its file:line:col and key",
          "[unit]") {
  const std::string c = "curves:\n  c: {form: constant, coef: {a: 1ms}, source: s, uncertainty: ";
  check_errors({
      {"a negative rel", c + "{rel: -0.1, source: b}}\n", "-0.1", "curves.c.uncertainty.rel",
       "got '-0.1': rel must be >= 0 and < 1"},
      {"rel of 1 (a factor of 0)", c + "{rel: 1, source: b}}\n", "1, source: b",
       "curves.c.uncertainty.rel", "the factor 1 - rel must stay > 0"},
      {"rel with a unit", c + "{rel: 30%, source: b}}\n", "30%", "curves.c.uncertainty.rel",
       "expected a plain number (no unit), got '30%'"},
      {"a band without a source", c + "{rel: 0.3}}\n",
       "uncertainty:", "curves.c.uncertainty.source", "required key is missing"},
      {"an empty band source", c + "{rel: 0.3, source: \" \"}}\n", "\" \"",
       "curves.c.uncertainty.source", "is empty; say how the band was derived"},
      {"neither rel nor low and high", c + "{source: b}}\n",
       "uncertainty:", "curves.c.uncertainty.rel", "required key is missing"},
      {"rel and low", c + "{rel: 0.2, low: 0.5, high: 2, source: b}}\n", "0.5",
       "curves.c.uncertainty.low", "give either rel or low and high, not both"},
      {"low of 0", c + "{low: 0, high: 2, source: b}}\n", "0, high", "curves.c.uncertainty.low",
       "low is a factor in (0, 1]"},
      {"low above 1", c + "{low: 1.1, high: 2, source: b}}\n", "1.1", "curves.c.uncertainty.low",
       "the band holds the curve itself (1)"},
      {"high below 1", c + "{low: 0.5, high: 0.9, source: b}}\n", "0.9",
       "curves.c.uncertainty.high", "high is a finite factor >= 1"},
      {"low without high", c + "{low: 0.5, source: b}}\n",
       "uncertainty:", "curves.c.uncertainty.high", "required key is missing"},
      {"a band that is not a map", c + "0.3}\n", "0.3}", "curves.c.uncertainty",
       "expected a map such as {rel: 0.3, source: \"...\"}"},
      {"a typo in the band", c + "{rel: 0.3, source: b, sorce: x}}\n", "sorce",
       "curves.c.uncertainty.sorce", "did you mean 'source'?"},
  });
}

TEST_CASE("an uncertainty band parses to its factors and reads back from curve_json", "[unit]") {
  const CurveSet set = parse_curves_text(R"(curves:
  r: {form: constant, coef: {a: 1ms}, source: s, uncertainty: {rel: 0.25, source: "two sources"}}
  w: {form: constant, coef: {a: 1ms}, source: s, uncertainty: {low: 0.9, high: 2.7, source: x}}
  n: {form: constant, coef: {a: 1ms}, source: s}
)");
  const Curve& r = set.at("r");
  REQUIRE(r.band);
  CHECK(r.band->low == 0.75);
  CHECK(r.band->high == 1.25);
  CHECK(r.band->rel == 0.25);
  CHECK(r.band->source == "two sources");
  REQUIRE(set.at("w").band);
  CHECK(set.at("w").band->low == 0.9);
  CHECK(set.at("w").band->high == 2.7);
  CHECK_FALSE(set.at("w").band->rel);
  CHECK_FALSE(set.at("n").band);
  CHECK_FALSE(curve_json(set.at("n")).contains("uncertainty"));
  // Written back as given (rel, or low and high), and read again to the same band.
  for (const char* name : {"r", "w"}) {
    const auto j = curve_json(set.at(name));
    const CurveSet again =
        parse_curves_text("curves:\n  " + std::string(name) + ": " + j.dump() + "\n");
    const CurveBand& a = *set.at(name).band;
    const CurveBand& b = *again.at(name).band;
    CHECK(a.low == b.low);
    CHECK(a.high == b.high);
    CHECK(a.rel == b.rel);
    CHECK(a.source == b.source);
  }
}

TEST_CASE("find_curve returns a named curve and reports an unknown name with a did-you-mean",
          "[unit]") {
  const CurveSet set = parse_curves_text(
      "curves:\n"
      "  nvjpeg_decode: {form: constant, coef: {a: 1ms}, source: s}\n"
      "  gpu_resize: {form: constant, coef: {a: 2ms}, source: s}\n");
  const std::string text = "pipeline:\n  - {name: decode, service: {curve: nvjpg_decode}}\n";
  const ConfigNode root = load_config_text(text, "<test>", ".");
  const ConfigNode& at = *root.find("pipeline")->items[0].find("service")->find("curve");

  CHECK(find_curve(set, "gpu_resize", at, "pipeline.decode.service.curve").a_ns() == 2e6);

  const ConfigError typo =
      config_error([&] { find_curve(set, at.scalar, at, "pipeline.decode.service.curve"); });
  CHECK_THAT(typo.what(),
             StartsWith(prefix(text, "nvjpg_decode", "pipeline.decode.service.curve")));
  CHECK_THAT(typo.what(), Contains("unknown curve 'nvjpg_decode'; did you mean 'nvjpeg_decode'?"));

  const ConfigError far = config_error([&] { find_curve(set, "vit_base", at, "k"); });
  CHECK_THAT(far.what(), Contains("unknown curve 'vit_base' (curves: gpu_resize, nvjpeg_decode)"));

  const ConfigError none = config_error([&] { find_curve(CurveSet{}, "vit_base", at, "k"); });
  CHECK_THAT(none.what(), Contains("no curves are defined"));
}

}  // namespace
}  // namespace servesim
