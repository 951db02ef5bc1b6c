#include "sim/config/text.h"

#include <cstdint>
#include <cstdio>

namespace servesim {

namespace {

/// The code point at s[i], advancing i past it; -1 (with i at the bad byte) when s[i] does not
/// start a well-formed sequence.
std::int32_t decode(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return s[i++];
  int len = 0;
  std::int32_t cp = 0, min = 0;
  if (lead >= 0xC0 && lead < 0xE0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead < 0xF0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead < 0xF8) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return -1;  // a continuation byte, or a lead byte no code point uses
  }
  if (s.size() - i < static_cast<std::size_t>(len)) return -1;
  for (int k = 1; k < len; ++k) {
    const std::uint8_t c = byte(i + static_cast<std::size_t>(k));
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += static_cast<std::size_t>(len);
  return cp;
}

std::string u_plus(std::int32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

std::string bad_byte(std::string_view s, std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "is not valid UTF-8 (byte 0x%02X at offset %zu)",
                static_cast<unsigned>(static_cast<std::uint8_t>(s[i])), i);
  return buf;
}

}  // namespace

std::string utf8_problem(std::string_view s) {
  for (std::size_t i = 0; i < s.size();)
    if (decode(s, i) < 0) return bad_byte(s, i);
  return "";
}

std::string name_problem(std::string_view s) {
  if (s.empty()) return "a name must not be empty";
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const std::int32_t cp = decode(s, i);
    if (cp < 0) return "a name " + bad_byte(s, at);
    const std::string where = " at offset " + std::to_string(at);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
      return "a name must be printable: it holds the control character " + u_plus(cp) + where;
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
        cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029)
      return "a name must print as what it is: it holds the invisible character " + u_plus(cp) +
             where + ", which reorders or breaks the text around it";
  }
  return "";
}

}  // namespace servesim
