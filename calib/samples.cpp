#include "calib/samples.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

constexpr std::size_t kColumns = std::size(kRequiredColumns) + std::size(kOptionalColumns);

std::vector<std::string> all_columns() {
  std::vector<std::string> v;
  for (const auto c : kRequiredColumns) v.emplace_back(c);
  for (const auto c : kOptionalColumns) v.emplace_back(c);
  return v;
}

/// A field of one line: its text (trimmed) and its 1-based column.
using Field = CsvCell;

bool valid_kernel_name(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

class LineReader {
 public:
  LineReader(const std::string& source, int line) : source_(source), line_(line) {}

  [[noreturn]] void fail(int col, const std::string& column, const std::string& msg) const {
    throw ConfigError(SourceMark{source_, line_, col}, column, msg);
  }

  double number(const Field& f, const std::string& column, double min, bool min_inclusive,
                const char* what) const {
    const auto v = parse_number(f.text);
    if (!v)
      fail(f.col, column,
           "expected a number (" + std::string(what) + "), got '" + std::string(f.text) + "'");
    if (*v < min || (!min_inclusive && *v == min))
      fail(f.col, column,
           std::string("must be ") + (min_inclusive ? ">= " : "> ") + shortest(min) + ", got '" +
               std::string(f.text) + "'");
    return *v;
  }

  int integer(const Field& f, const std::string& column, int min, int max) const {
    if (f.text.empty()) return 0;  // not recorded
    int v = 0;
    const auto r = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
    if (r.ec != std::errc() || r.ptr != f.text.data() + f.text.size())
      fail(f.col, column,
           "expected a whole number or an empty cell, got '" + std::string(f.text) + "'");
    if (v < min || v > max)
      fail(f.col, column,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got '" +
               std::string(f.text) + "'");
    return v;
  }

 private:
  const std::string& source_;
  int line_;
};

}  // namespace

std::vector<Sample> parse_samples(std::string_view text, const std::string& source) {
  const std::vector<std::string> names = all_columns();
  std::vector<int> where(kColumns, -1);  // column index in the file of each known column
  bool have_header = false;
  std::size_t header_fields = 0;
  std::vector<Sample> out;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#') continue;
    const LineReader r(source, line_no);
    if (const auto q = line.find('"'); q != std::string_view::npos)
      r.fail(static_cast<int>(q + 1), "",
             "quoted fields are not supported: kernel names are plain words and every other "
             "field is a number");
    const std::vector<Field> fields = split_csv_cells(line);

    if (!have_header) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string name(fields[i].text);
        std::size_t k = 0;
        while (k < kColumns && names[k] != name) ++k;
        if (k == kColumns) {
          const std::string hint = did_you_mean(name, names);
          r.fail(fields[i].col, "",
                 "unknown column '" + name +
                     "' (columns: kernel, batch, pixels, bytes, seconds; optional: width, "
                     "height, quality, threads)" +
                     (hint.empty() ? "" : "; " + hint));
        }
        if (where[k] >= 0) r.fail(fields[i].col, "", "column '" + name + "' appears twice");
        where[k] = static_cast<int>(i);
      }
      for (std::size_t k = 0; k < std::size(kRequiredColumns); ++k)
        if (where[k] < 0)
          r.fail(1, "",
                 "the header lacks column '" + names[k] +
                     "'; a samples file starts with kernel,batch,pixels,bytes,seconds");
      have_header = true;
      header_fields = fields.size();
      continue;
    }

    if (fields.size() != header_fields) {
      const int col = fields.size() > header_fields ? fields[header_fields].col
                                                    : static_cast<int>(line.size() + 1);
      r.fail(col, "",
             "expected " + std::to_string(header_fields) + " fields as in the header, got " +
                 std::to_string(fields.size()));
    }
    auto field = [&](std::size_t k) -> const Field* {
      return where[k] < 0 ? nullptr : &fields[static_cast<std::size_t>(where[k])];
    };
    Sample s;
    s.line = line_no;
    const Field& kf = *field(0);
    if (!valid_kernel_name(kf.text))
      r.fail(kf.col, "kernel",
             "a kernel name is a non-empty word of letters, digits, '_' and '-' (it becomes a "
             "curve name), got '" +
                 std::string(kf.text) + "'");
    s.kernel = std::string(kf.text);
    s.batch = r.number(*field(1), "batch", 1, true, "requests in the batch");
    s.pixels = r.number(*field(2), "pixels", 0, true, "total pixels");
    s.bytes = r.number(*field(3), "bytes", 0, true, "total bytes");
    s.seconds = r.number(*field(4), "seconds", 0, false, "the measured time in seconds");
    if (const Field* f = field(5)) s.width = r.integer(*f, "width", 1, 1 << 20);
    if (const Field* f = field(6)) s.height = r.integer(*f, "height", 1, 1 << 20);
    if (const Field* f = field(7)) s.quality = r.integer(*f, "quality", 1, 100);
    if (const Field* f = field(8)) s.threads = r.integer(*f, "threads", 1, 1 << 16);
    out.push_back(std::move(s));
  }
  if (!have_header)
    throw ConfigError(SourceMark{source, 1, 1}, "",
                      "the file is empty; a samples file starts with the header "
                      "kernel,batch,pixels,bytes,seconds");
  if (out.empty())
    throw ConfigError(SourceMark{source, line_no, 1}, "", "the file has a header but no samples");
  return out;
}

std::vector<Sample> read_samples(const std::filesystem::path& path) {
  return parse_samples(read_data_file(path), path.string());
}

std::string samples_csv(std::span<const Sample> samples) {
  bool has[4] = {false, false, false, false};
  for (const Sample& s : samples) {
    has[0] = has[0] || s.width > 0;
    has[1] = has[1] || s.height > 0;
    has[2] = has[2] || s.quality > 0;
    has[3] = has[3] || s.threads > 0;
  }
  std::string out = "kernel,batch,pixels,bytes,seconds";
  for (std::size_t i = 0; i < 4; ++i)
    if (has[i]) out += "," + std::string(kOptionalColumns[i]);
  out += "\n";
  auto cell = [](int v) { return v > 0 ? std::to_string(v) : std::string(); };
  for (const Sample& s : samples) {
    out += csv_cell(s.kernel) + "," + shortest(s.batch) + "," + shortest(s.pixels) + "," +
           shortest(s.bytes) + "," + shortest(s.seconds);
    const int opt[4] = {s.width, s.height, s.quality, s.threads};
    for (std::size_t i = 0; i < 4; ++i)
      if (has[i]) out += "," + cell(opt[i]);
    out += "\n";
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<std::string> kernel_names(std::span<const Sample> samples) {
  std::vector<std::string> names;
  for (const Sample& s : samples) {
    bool seen = false;
    for (const auto& n : names) seen = seen || n == s.kernel;
    if (!seen) names.push_back(s.kernel);
  }
  return names;
}

}  // namespace servesim::calib
