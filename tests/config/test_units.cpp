// Tests of quantities with units as users write them, and of the messages for bad ones.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/units.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

double si(std::string_view text, Dimension dim) {
  const ParsedQuantity q = parse_quantity(text, dim);
  INFO("parse_quantity(\"" << text << "\"): " << q.error);
  REQUIRE(q.error.empty());
  return q.value;
}

std::string error_of(std::string_view text, Dimension dim) {
  return parse_quantity(text, dim).error;
}

TEST_CASE("quantities with units parse to their SI values", "[unit]") {
  CHECK(si("250us", Dimension::kDuration) == Approx(250e-6).epsilon(1e-15));
  CHECK(si("30s", Dimension::kDuration) == 30.0);
  CHECK(si("40ms", Dimension::kDuration) == Approx(0.040).epsilon(1e-15));
  CHECK(si("1.5min", Dimension::kDuration) == 90.0);
  CHECK(si("16GB/s", Dimension::kBandwidth) == 16e9);
  CHECK(si("100Gbit/s", Dimension::kBandwidth) == 12.5e9);
  CHECK(si("121kB", Dimension::kBytes) == 121000.0);
  CHECK(si("24GiB", Dimension::kBytes) == 24.0 * 1024 * 1024 * 1024);
  CHECK(si("1200/s", Dimension::kRate) == 1200.0);
  CHECK(si("350W", Dimension::kPower) == 350.0);
}

TEST_CASE("quantities accept spaces, a leading plus, exponents and the other listed units",
          "[unit]") {
  CHECK(si("  250 us ", Dimension::kDuration) == Approx(250e-6).epsilon(1e-15));
  CHECK(si("+2s", Dimension::kDuration) == 2.0);
  CHECK(si("1e3ms", Dimension::kDuration) == Approx(1.0).epsilon(1e-15));
  CHECK(si("5ns", Dimension::kDuration) == Approx(5e-9).epsilon(1e-15));
  CHECK(si("2h", Dimension::kDuration) == 7200.0);
  CHECK(si("3/ms", Dimension::kRate) == 3000.0);
  CHECK(si("60/min", Dimension::kRate) == Approx(1.0).epsilon(1e-15));
  CHECK(si("1KiB", Dimension::kBytes) == 1024.0);
  CHECK(si("2MiB", Dimension::kBytes) == 2097152.0);
  CHECK(si("8bit/s", Dimension::kBandwidth) == 1.0);
  CHECK(si("1.5kW", Dimension::kPower) == 1500.0);
}

TEST_CASE("a quantity without a unit is an error that shows an example", "[unit]") {
  const std::string e = error_of("250", Dimension::kDuration);
  CHECK_THAT(e, Contains("no unit"));
  CHECK_THAT(e, Contains("e.g. 250us"));
  CHECK_THAT(error_of("16", Dimension::kBandwidth), Contains("e.g. 16GB/s"));
  CHECK_THAT(error_of("90", Dimension::kRate), Contains("e.g. 90/s"));
}

TEST_CASE("an unknown unit is an error with a did-you-mean and the list of units", "[unit]") {
  const std::string e = error_of("121KB", Dimension::kBytes);
  CHECK_THAT(e, Contains("unknown unit 'KB'"));
  CHECK_THAT(e, Contains("did you mean 'kB'?"));
  CHECK_THAT(e, Contains("KiB"));  // the list
  CHECK_THAT(error_of("40 mS", Dimension::kDuration), Contains("did you mean 'ms'?"));
  CHECK_THAT(error_of("16GB/sec", Dimension::kBandwidth), Contains("did you mean 'GB/s'?"));
  // A lowercase b is a bit, as networking writes it: the bit unit, not 8x the bandwidth in bytes.
  CHECK_THAT(error_of("400Gb/s", Dimension::kBandwidth), Contains("did you mean 'Gbit/s'?"));
  CHECK_THAT(error_of("10Gbps", Dimension::kBandwidth), Contains("did you mean 'Gbit/s'?"));
  CHECK_THAT(error_of("100kb/s", Dimension::kBandwidth), Contains("did you mean 'kbit/s'?"));
  // A unit of another dimension is unknown here.
  CHECK_THAT(error_of("40ms", Dimension::kBytes), Contains("unknown unit 'ms'"));
}

TEST_CASE("a quantity that is not a number is an error naming what was expected", "[unit]") {
  CHECK_THAT(error_of("fast", Dimension::kDuration), Contains("expected a duration"));
  CHECK_THAT(error_of("", Dimension::kDuration), Contains("expected a duration"));
  CHECK_THAT(error_of(".nan", Dimension::kDuration), Contains("expected a duration"));
}

TEST_CASE("nan, inf and out-of-range numbers in quantities are rejected", "[unit]") {
  for (const char* text : {"nan", "nans", "NaN s", "inf", "infs", "-infms", "infinity s"}) {
    INFO(text);
    CHECK_FALSE(error_of(text, Dimension::kDuration).empty());
  }
  CHECK_THAT(error_of("nans", Dimension::kDuration), Contains("not a finite number"));
  CHECK_THAT(error_of("1e999s", Dimension::kDuration), Contains("out of range"));
  // Finite number, but the SI value overflows a double.
  CHECK_THAT(error_of("1e300TB", Dimension::kBytes), Contains("out of range"));
}

TEST_CASE("parse_number reads plain finite numbers and rejects nan, inf and 1e999", "[unit]") {
  CHECK(parse_number("42") == 42.0);
  CHECK(parse_number(" -1.5 ") == -1.5);
  CHECK(parse_number("+3") == 3.0);
  CHECK(parse_number("1e3") == 1000.0);
  for (const char* text : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e999", "", "+",
                           "four", "3s", "1,5", ".nan", ".inf"}) {
    INFO(text);
    CHECK_FALSE(parse_number(text).has_value());
  }
}

TEST_CASE("edit distance counts insertions, deletions and substitutions", "[unit]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("duration", "duration") == 0);
  CHECK(edit_distance("duraton", "duration") == 1);
  CHECK(edit_distance("kB", "KB") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

}  // namespace
}  // namespace servesim
