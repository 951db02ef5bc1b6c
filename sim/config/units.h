#pragma once
/// Quantities with units as users write them: 250us, 30s, 16GB/s, 121kB, 24GiB, 1200/s, 350W.

#include <optional>
#include <string>
#include <string_view>

#include "sim/core/time.h"

namespace servesim {

enum class Dimension { kDuration, kRate, kBytes, kBandwidth, kPower };

/// What servesim says of a dimension, in one place: its name in the docs ("duration"), its SI
/// base unit ("s"; the resolved config writes sizes and bandwidths with a prefix when one reads
/// back exactly, schema.cpp), and the hint messages give ("a duration
/// with a unit (e.g. 250us, 40ms, 30s)").
struct DimensionText {
  std::string_view word, base_unit, hint;
};
const DimensionText& dimension_text(Dimension d);
inline std::string_view dimension_hint(Dimension d) { return dimension_text(d).hint; }

struct ParsedQuantity {
  double value = 0;   // in SI base units: seconds, 1/s, bytes, bytes/s, watts
  std::string error;  // empty on success; otherwise says what is wrong, with a did-you-mean
};

/// Parses "<number><unit>" (spaces allowed between). Decimal (kB = 1000 B) and binary
/// (KiB = 1024 B) prefixes; "bit" units for bandwidth (Gbit/s = 1.25e8 B/s).
ParsedQuantity parse_quantity(std::string_view text, Dimension dim);

/// Parses a plain number (no unit); nullopt for anything else, including nan and inf.
std::optional<double> parse_number(std::string_view text);

/// "40ms", "2000s", "250us": the largest unit that writes the value exactly.
std::string format_duration(Time t);

/// Edit distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace servesim
