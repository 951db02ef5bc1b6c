#pragma once
/// Reading one line of a CSV as RFC 4180 writes it: cells split on commas outside double
/// quotes, "" inside quotes for a quote, a trailing \r dropped.

#include <string>
#include <string_view>
#include <vector>

namespace servesim {

/// A cell of a line and the 1-based column where its text starts (for file:line:col messages).
struct CsvCell {
  std::string text;
  int col = 1;
};

/// The cells of `line`; with `trim`, the spaces and tabs around each cell (outside quotes) are
/// dropped, as hand-written files have them.
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
  return out;
}

/// The cells' texts, untrimmed.
inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  for (CsvCell& c : split_csv_cells(line, false)) out.push_back(std::move(c.text));
  return out;
}

}  // namespace servesim
