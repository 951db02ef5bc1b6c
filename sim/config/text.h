#pragma once
/// What text a scenario may hold: YAML is UTF-8, and a name that reaches outputs (JSON, CSV,
/// HTML, the terminal) must also print as what it is.

#include <string>
#include <string_view>

namespace servesim {

/// Why `s` is not well-formed UTF-8, naming the offset of the first bad byte; "" when it is.
/// Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not well-formed.
std::string utf8_problem(std::string_view s);

/// Why `s` cannot be a name ("" when it can): it must be non-empty, well-formed UTF-8, without
/// control characters (C0, DEL, C1) or the invisible characters that reorder or break the text
/// around them (bidirectional overrides, isolates and marks; line and paragraph separators), so
/// that a report shows the name the scenario means.
std::string name_problem(std::string_view s);

}  // namespace servesim
