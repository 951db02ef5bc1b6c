#include "sim/config/schema.h"

#include <charconv>
#include <cmath>

namespace servesim {

namespace {

/// The shortest text that reads back to `v` (as the resolved config writes numbers).
std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// A bound or default as people read it in the docs: 2^53, 1e6, 4096, 100000, 1e-6, 0.5.
std::string doc_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e6) return std::to_string(static_cast<long long>(v));
  if (v >= 1048576 && v == std::ldexp(1.0, std::ilogb(v)))
    return "2^" + std::to_string(std::ilogb(v));
  std::string s = number_text(v);  // "1e+06", "1e-06": written as 1e6, 1e-6
  const std::size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e + 1), exponent = s.substr(e + 1);
  if (exponent[0] == '+') exponent.erase(0, 1);
  const bool negative = exponent[0] == '-';
  if (negative) exponent.erase(0, 1);
  while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
  return mantissa + (negative ? "-" : "") + exponent;
}

std::string type_text(const Type& type, const std::vector<std::string_view>& choices) {
  switch (type.kind) {
    case Kind::kDuration:
      return type.zero_ok ? "duration (0 allowed)" : "duration";
    case Kind::kInteger:
      return "integer " + doc_number(type.min) + ".." + doc_number(type.max);
    case Kind::kNumber:
      return "number in [" + doc_number(type.min) + ", " + doc_number(type.max) + "]";
    case Kind::kQuantity:
      return std::string(dimension_text(type.dim).word);
    case Kind::kChoice:
      return choices_text(choices);
    case Kind::kName:
      return "name (see Names)";
    case Kind::kString:
      return "string";
    case Kind::kCustom:
      break;
  }
  return "";
}

/// A size or bandwidth as people write it: 500MB/s rather than 5e+08B/s.
std::string quantity_text(double v, Dimension dim) {
  const std::string unit(dimension_text(dim).base_unit);
  if (dim == Dimension::kBytes || dim == Dimension::kBandwidth) {
    double scaled = v;
    for (const char* prefix : {"", "k", "M", "G", "T"}) {
      if (number_text(scaled).find('e') == std::string::npos)
        return number_text(scaled) + prefix + unit;
      if (scaled / 1000 != std::floor(scaled / 1000)) break;
      scaled /= 1000;
    }
  }
  return number_text(v) + unit;
}

/// A size or bandwidth as the resolved config writes it: the shortest text among the units the
/// parser takes (B, kB ... TB, KiB ... TiB, and their /s) that reads back to exactly `v`, so
/// that 24 GiB of GPU memory is "24GiB", not "25769803776B", and 51 GB/s "51GB/s", not
/// "5.1e+10B/s". Other dimensions, and values no unit writes exactly, in the base unit.
std::string resolved_quantity_text(double v, Dimension dim) {
  const std::string unit(dimension_text(dim).base_unit);
  std::string best = number_text(v) + unit;
  if ((dim != Dimension::kBytes && dim != Dimension::kBandwidth) || !(v > 0) || !std::isfinite(v))
    return best;
  for (const auto& [prefix, scale] : {std::pair{"k", 1e3},
                                      {"M", 1e6},
                                      {"G", 1e9},
                                      {"T", 1e12},
                                      {"Ki", 1024.0},
                                      {"Mi", 1048576.0},
                                      {"Gi", 1073741824.0},
                                      {"Ti", 1099511627776.0}}) {
    if (v < scale) continue;
    const std::string text = number_text(v / scale) + prefix + unit;
    const ParsedQuantity back = parse_quantity(text, dim);
    if (text.find('e') == std::string::npos && back.error.empty() && back.value == v &&
        text.size() < best.size())
      best = text;
  }
  return best;
}

std::string default_text(const Value& v, const Type& type) {
  if (std::holds_alternative<std::monostate>(v)) return "—";
  if (type.kind == Kind::kQuantity) return "`" + quantity_text(std::get<double>(v), type.dim) + "`";
  if (const auto* s = std::get_if<std::string>(&v)) return s->empty() ? "—" : "`" + *s + "`";
  if (type.kind == Kind::kNumber) return doc_number(std::get<double>(v));
  const nlohmann::ordered_json j = value_json(v, type);
  return j.is_string() ? "`" + j.get<std::string>() + "`" : j.dump();
}

}  // namespace

std::string choices_text(const std::vector<std::string_view>& choices) {
  std::string out;
  for (const auto c : choices) out += (out.empty() ? "`" : " \\| `") + std::string(c) + "`";
  return out;
}

Value read_value(MapReader& r, std::string_view key, const Type& type,
                 const std::vector<std::string_view>& choices, bool required) {
  Value v;
  switch (type.kind) {
    case Kind::kDuration:
      if (auto d = r.duration(key, type.zero_ok)) v = *d;
      break;
    case Kind::kInteger:
      if (auto n = r.integer(key, static_cast<std::int64_t>(type.min),
                             static_cast<std::int64_t>(type.max)))
        v = *n;
      break;
    case Kind::kNumber:
      if (auto n = r.number(key, type.min, type.max)) v = *n;
      break;
    case Kind::kQuantity:
      if (auto q = r.quantity(key, type.dim)) v = *q;
      break;
    case Kind::kChoice:
      if (auto c = r.choice(key, choices)) v = *c;
      break;
    case Kind::kName:
      if (auto s = r.name(key)) v = *s;
      break;
    case Kind::kString:
      if (auto s = r.string(key)) v = *s;
      break;
    case Kind::kCustom:
      throw std::logic_error("read_value: a custom key is read by its section");
  }
  if (required && std::holds_alternative<std::monostate>(v)) r.require(key);
  return v;
}

nlohmann::ordered_json value_json(const Value& v, const Type& type) {
  switch (type.kind) {
    case Kind::kDuration: {
      const Time t = std::get<std::int64_t>(v);
      return t ? format_duration(t) : std::string("0s");
    }
    case Kind::kInteger:
      return std::get<std::int64_t>(v);
    case Kind::kNumber:
      return std::get<double>(v);
    case Kind::kQuantity:
      return resolved_quantity_text(std::get<double>(v), type.dim);
    case Kind::kChoice:
    case Kind::kName:
    case Kind::kString:
      return std::get<std::string>(v);
    case Kind::kCustom:
      break;
  }
  throw std::logic_error("value_json: a custom key is written by its section");
}

std::string doc_header() { return "| key | type | default | meaning |\n|---|---|---|---|\n"; }

std::string doc_row(std::string_view prefix, std::string_view key, const Type& type,
                    const std::vector<std::string_view>& choices, bool required,
                    const Value& fallback, std::string_view doc_type, std::string_view doc_default,
                    std::string_view help) {
  const std::string t = doc_type.empty() ? type_text(type, choices) : std::string(doc_type);
  std::string d(doc_default);
  if (d.empty()) d = required ? "required" : default_text(fallback, type);
  return "| `" + std::string(prefix) + std::string(key) + "` | " + t + " | " + d + " | " +
         std::string(help) + " |\n";
}

}  // namespace servesim
