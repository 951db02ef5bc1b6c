#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "sim/core/format.h"

namespace servesim {

TEST_CASE("format fills printf's spec into a string of any length", "[unit]") {
  CHECK(format("%s has %d cores at %.1f GHz", std::string("node"), 16, 3.5) ==
        "node has 16 cores at 3.5 GHz");
  const std::string long_name(1000, 'x');  // past the 256-byte first try
  CHECK(format("[%s]", long_name) == "[" + long_name + "]");
  CHECK(format("%5s|%-5s|", "ab", "cd") == "   ab|cd   |");
}

TEST_CASE("readable prints table numbers in plain notation, to their significant digits",
          "[unit]") {
  CHECK(readable(3.9216e-05, 5) == "0.000039216");  // %.5g: 3.9216e-05
  CHECK(readable(5666231.4, 6) == "5666231");       // %.6g: 5.66623e+06; integer digits kept
  CHECK(readable(12.5, 4) == "12.5");               // trailing zeros dropped
  CHECK(readable(0.1, 4) == "0.1");
  CHECK(readable(99.99996, 4) == "100");  // rounding that carries into a new digit
  CHECK(readable(-0.00123456, 3) == "-0.00123");
  CHECK(readable(0, 4) == "0");
  // Outside 1e-6 .. 1e15 a plain number is too long to read: %g's exponent.
  CHECK(readable(1.577e-08, 4) == "1.577e-08");
  CHECK(readable(2.5e16, 4) == "2.5e+16");
  CHECK(readable(std::numeric_limits<double>::infinity(), 4) == "inf");
  CHECK(readable(std::nan(""), 4) == "nan");
}

TEST_CASE("readable with a resolution shows a value below it as below it, not as noise digits",
          "[unit]") {
  // A mean of one 1 ns wait over 9272 requests, in ms, on a 1 ns clock.
  CHECK(readable(1.077e-10, 4, 1e-6) == "<0.000001");
  CHECK(readable(-1.077e-10, 4, 1e-6) == "<0.000001");
  CHECK(readable(0, 4, 1e-6) == "0");  // exactly none is none
  CHECK(readable(1e-6, 4, 1e-6) == "0.000001");
  CHECK(readable(0.0244, 4, 1e-6) == "0.0244");
}

}  // namespace servesim
