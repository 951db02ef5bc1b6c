#pragma once
/// Writing fitted curves as the `curves:` YAML of docs/config-reference.md, which sim/config's
/// parse_curves reads.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/curves/curve.h"

namespace servesim::calib {

/// A curve to write, under its name, with comment lines written above it (the fit report).
struct NamedCurve {
  std::string name;
  Curve curve;
  std::vector<std::string> comments;
};

/// The curve with its numbers rounded as they are written: times and slopes to 4 significant
/// digits (0.05% at most, far below any measurement's noise), the exponent of a power law to 6
/// (its error is multiplied by log x), knees and table x values as they are; noise cv and fit
/// statistics to 4 digits.
Curve rounded(const Curve& c);

/// A time in ns as a quantity in the unit that keeps it readable ("12.08us", "7.9ns", "1.5ms").
std::string duration_text(double ns);

/// The curve as a formula for people: "12.08us + 2.615ns*pixels + 11.57ns*bytes",
/// "5us + 0.5ns*pixels^1.3", "0.5ms + 0.9ms per batch up to 16, 0.25ms per batch after", a table's
/// points. Numbers as rounded() writes them.
std::string curve_formula(const Curve& c);

/// The YAML text: `header` lines as comments, then `curves:` with each curve in the schema of
/// docs/config-reference.md (inputs, form, coef or table, noise, fit, source), its numbers rounded
/// by rounded().
std::string curves_yaml(std::span<const NamedCurve> curves, std::span<const std::string> header);

}  // namespace servesim::calib
