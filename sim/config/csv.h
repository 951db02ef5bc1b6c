#pragma once
/// Reading one line of a CSV as RFC 4180 writes it: cells split on commas outside double
/// quotes, "" inside quotes for a quote, a trailing \r dropped. And writing a cell so that it
/// reads back the same, here and in a spreadsheet.

#include <string>
#include <string_view>
#include <vector>

namespace servesim {

/// Whether `s` is a plain decimal number (-5.2, +7, -1e3, .5): a spreadsheet reads it as a
/// number, so it needs no guard even when it starts with + or -.
inline bool is_csv_number(std::string_view s) {
  std::size_t i = 0, digits = 0;
  const auto run = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  digits += run();
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits += run();
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (run() == 0) return false;
  }
  return i == s.size();
}

/// Whether a spreadsheet would take the text cell `s` for a formula (it starts with = + - @,
/// TAB or CR and is not a number), so that the writer puts a ' before it (OWASP's advice). Leading
/// quotes are looked through: a cell that already starts with ' and then a formula character
/// gets one more, so the reader can always take exactly one away.
inline bool csv_needs_guard(std::string_view s) {
  const std::size_t at = s.find_first_not_of('\'');
  if (at == std::string_view::npos) return false;
  const char c = s[at];
  const bool trigger = c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  return trigger && !is_csv_number(s.substr(at));
}

/// `text` as one CSV cell (RFC 4180): a cell with a comma, quote, CR or LF, or spaces at an end
/// (readers trim unquoted ones), in double quotes with its quotes doubled; a text cell a
/// spreadsheet would run as a formula prefixed with '. Every CSV servesim writes uses it, and
/// split_csv_cells reads back exactly `text`.
inline std::string csv_cell(std::string_view text) {
  std::string cell = csv_needs_guard(text) ? "'" + std::string(text) : std::string(text);
  const bool padded = !cell.empty() && (cell.front() == ' ' || cell.front() == '\t' ||
                                        cell.back() == ' ' || cell.back() == '\t');
  if (!padded && cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string q = "\"";
  for (const char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// A cell of a line and the 1-based column where its text starts (for file:line:col messages).
struct CsvCell {
  std::string text;
  int col = 1;
};

/// The cells of `line`; with `trim`, the spaces and tabs around each cell (outside quotes) are
/// dropped, as hand-written files have them. The ' that csv_cell puts before a formula-like cell
/// is taken away again. A cell whose quotes hold a line break spans lines, which this per-line
/// reader does not join: names with line breaks are refused where they are read (the scenario).
inline std::vector<CsvCell> split_csv_cells(std::string_view line, bool trim = true) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<CsvCell> out;
  CsvCell cell;
  bool quoted = false, started = false;
  std::size_t kept = 0;  // cell.text's length up to its last character not to be trimmed
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell.text += '"';
        ++i;
      } else if (c != '"') {
        cell.text += c;
      } else {
        quoted = false;
      }
      kept = cell.text.size();
    } else if (c == ',') {
      if (trim) cell.text.resize(kept);
      out.push_back(std::move(cell));
      cell = CsvCell{{}, static_cast<int>(i + 2)};
      started = false;
      kept = 0;
    } else if (trim && !started && (c == ' ' || c == '\t')) {
      cell.col = static_cast<int>(i + 2);
    } else {
      started = true;
      if (c == '"') {
        quoted = true;
      } else {
        cell.text += c;
        if (!trim || (c != ' ' && c != '\t')) kept = cell.text.size();
      }
    }
  }
  if (trim) cell.text.resize(kept);
  out.push_back(std::move(cell));
  for (CsvCell& c : out)
    if (c.text.size() > 1 && c.text.front() == '\'' && csv_needs_guard(c.text)) c.text.erase(0, 1);
  return out;
}

/// The cells' texts, untrimmed.
inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  for (CsvCell& c : split_csv_cells(line, false)) out.push_back(std::move(c.text));
  return out;
}

}  // namespace servesim
