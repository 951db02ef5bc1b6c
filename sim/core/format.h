#pragma once
/// The one text formatter of servesim's tables, messages and files: printf's format strings
/// into a std::string of any length, and numbers as people read them in a table.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>

namespace servesim {

/// An argument as printf takes it: a std::string as its C string, a literal as its pointer;
/// numbers and pointers as they are. Anything else does not compile: printf would read garbage.
template <class T>
auto printf_arg(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v.c_str();
  } else if constexpr (std::is_array_v<T>) {
    return &v[0];  // a string literal
  } else {
    static_assert(std::is_arithmetic_v<T> || std::is_pointer_v<T>,
                  "format() takes numbers, C strings and std::string");
    return v;
  }
}

/// printf's `spec` applied to `args`, into a string of whatever length it takes.
template <class... Args>
std::string format(const char* spec, const Args&... args) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
  char small[256];
  const int n = std::snprintf(small, sizeof small, spec, printf_arg(args)...);
  if (n < 0) return {};
  if (static_cast<std::size_t>(n) < sizeof small)
    return std::string(small, static_cast<std::size_t>(n));
  std::string out(static_cast<std::size_t>(n), '\0');
  std::snprintf(out.data(), out.size() + 1, spec, printf_arg(args)...);
#pragma GCC diagnostic pop
  return out;
}

/// `v` to `significant` digits as a table shows it to people: plain notation from 1e-6 up to
/// 1e15 (0.00003922, 12345, never 3.922e-05 or 1.234e+04), trailing zeros dropped; outside that
/// range, and for inf and nan, what %g prints. A number wider than its significant digits
/// (12345 at 4) keeps its integer digits: a table's column shows magnitudes, not rounding.
/// With a `resolution` (the clock's 1 ns is 1e-6 in a column of ms), a value that is not 0 but
/// below it prints as "<1e-06"-style text instead of digits no measurement has: a mean of one
/// 1 ns wait over ten thousand requests is "<0.000001" ms, not 1.077e-10.
inline std::string readable(double v, int significant, double resolution = 0) {
  const double a = std::fabs(v);
  if (a > 0 && a < resolution) return "<" + readable(resolution, significant);
  if (!std::isfinite(v) || a == 0 || a < 1e-6 || a >= 1e15) return format("%.*g", significant, v);
  const int exponent = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::max(0, significant - 1 - exponent);
  std::string s = format("%.*f", decimals, v);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

/// Bytes for people, in binary units to 3 significant digits: "81.5 MiB", "24 GiB", "512 B".
inline std::string binary_bytes(double b) {
  if (b >= 1073741824.0) return readable(b / 1073741824.0, 3) + " GiB";
  if (b >= 1048576.0) return readable(b / 1048576.0, 3) + " MiB";
  if (b >= 1024.0) return readable(b / 1024.0, 3) + " KiB";
  return readable(b, 3) + " B";
}

}  // namespace servesim
