#include "calib/curve_writer.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sim/config/units.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

double round_sig(double v, int digits) {
  if (v == 0 || !std::isfinite(v)) return v;
  const int e = static_cast<int>(std::floor(std::log10(std::abs(v))));
  const int shift = digits - 1 - e;
  // Dividing by an exact power of ten (rather than multiplying by its inexact inverse) gives the
  // double nearest to the decimal, so the text is short.
  if (shift >= 0) {
    const double s = std::pow(10.0, shift);
    return std::round(v * s) / s;
  }
  const double s = std::pow(10.0, -shift);
  return std::round(v / s) * s;
}

double r4(double v) { return round_sig(v, 4); }

bool plain_word(const std::string& s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
          c == '+'))
      return false;
  return true;
}

/// A value of curve_json's output as one line of flow YAML, times ("...ns") in readable units.
std::string flow(const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    std::string s = "{";
    for (auto it = j.begin(); it != j.end(); ++it)
      s += (it == j.begin() ? "" : ", ") + it.key() + ": " + flow(it.value());
    return s + "}";
  }
  if (j.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < j.size(); ++i) s += (i ? ", " : "") + flow(j[i]);
    return s + "]";
  }
  if (j.is_number_float()) return shortest(j.get<double>());
  if (j.is_number()) return j.dump();
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s.size() > 2 && s.ends_with("ns"))
      if (const auto v = parse_number(std::string_view(s).substr(0, s.size() - 2)))
        return duration_text(*v);
    return plain_word(s) ? s : j.dump();
  }
  return j.dump();
}

}  // namespace

std::string duration_text(double ns) {
  const double a = std::abs(ns);
  if (a >= 1e9) return shortest(ns / 1e9) + "s";
  if (a >= 1e6) return shortest(ns / 1e6) + "ms";
  if (a >= 1e3) return shortest(ns / 1e3) + "us";
  return shortest(ns) + "ns";
}

Curve rounded(const Curve& c) {
  Curve out;
  const auto in = c.inputs();
  switch (c.form()) {
    case CurveForm::kConstant:
      out = Curve::constant(r4(c.a_ns()));
      break;
    case CurveForm::kAffine: {
      std::vector<std::pair<CurveInput, double>> slopes;
      for (const CurveInput x : in) slopes.emplace_back(x, r4(c.slope_ns(x)));
      out = Curve::affine(r4(c.a_ns()), slopes);
      break;
    }
    case CurveForm::kPower:
      out = Curve::power(in[0], r4(c.a_ns()), r4(c.b_ns()), round_sig(c.exponent(), 6));
      break;
    case CurveForm::kPiecewise: {
      std::vector<double> s;
      for (const double v : c.slopes_ns()) s.push_back(r4(v));
      out = Curve::piecewise(in[0], r4(c.a_ns()), std::move(s),
                             std::vector<double>(c.knees().begin(), c.knees().end()));
      break;
    }
    case CurveForm::kTable: {
      std::vector<double> ts;
      for (const double v : c.table_ts_ns()) ts.push_back(r4(v));
      out = Curve::table(in[0], std::vector<double>(c.table_xs().begin(), c.table_xs().end()),
                         std::move(ts));
      break;
    }
  }
  if (const Distribution* n = c.noise())
    out.with_noise(Distribution::make(n->kind(), 1.0, r4(n->cv())));
  out.source = c.source;
  out.fit = c.fit;
  if (out.fit.r2) out.fit.r2 = std::min(1.0, r4(*out.fit.r2));
  if (out.fit.rmse_ns) out.fit.rmse_ns = r4(*out.fit.rmse_ns);
  if (out.fit.holdout_error) out.fit.holdout_error = r4(*out.fit.holdout_error);
  return out;
}

std::string curve_formula(const Curve& c0) {
  const Curve c = rounded(c0);
  const auto in = c.inputs();
  auto name = [](CurveInput x) { return std::string(curve_input_name(x)); };
  switch (c.form()) {
    case CurveForm::kConstant:
      return duration_text(c.a_ns());
    case CurveForm::kAffine: {
      std::string s = duration_text(c.a_ns());
      for (const CurveInput x : in) s += " + " + duration_text(c.slope_ns(x)) + "*" + name(x);
      return s;
    }
    case CurveForm::kPower:
      return duration_text(c.a_ns()) + " + " + duration_text(c.b_ns()) + "*" + name(in[0]) + "^" +
             shortest(c.exponent());
    case CurveForm::kPiecewise: {
      std::string s = duration_text(c.a_ns());
      const auto b = c.slopes_ns();
      const auto k = c.knees();
      for (std::size_t i = 0; i < b.size(); ++i) {
        s += (i ? ", then " : " + ") + duration_text(b[i]) + " per " + name(in[0]);
        if (i < k.size()) s += " up to " + shortest(k[i]);
      }
      return s;
    }
    case CurveForm::kTable: {
      std::string s = "table over " + name(in[0]) + ":";
      const auto xs = c.table_xs();
      const auto ts = c.table_ts_ns();
      for (std::size_t i = 0; i < xs.size(); ++i) {
        if (i == 6 && xs.size() > 8) {
          s += " ... (" + std::to_string(xs.size() - 7) + " more) ...";
          i = xs.size() - 1;
        }
        s += std::string(i ? "," : "") + " " + shortest(xs[i]) + " -> " + duration_text(ts[i]);
      }
      return s;
    }
  }
  return "";
}

std::string curves_yaml(std::span<const NamedCurve> curves, std::span<const std::string> header) {
  std::string s;
  for (const auto& h : header) s += h.empty() ? "#\n" : "# " + h + "\n";
  s += "curves:\n";
  for (const NamedCurve& nc : curves) {
    for (const auto& c : nc.comments) s += "  # " + c + "\n";
    const Curve c = rounded(nc.curve);
    if (c.source.empty())
      throw std::invalid_argument("curve '" + nc.name + "' has no source line to write");
    s += "  " + nc.name + ":\n";
    const nlohmann::ordered_json j = curve_json(c);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "source" && !c.fit.empty()) {
        nlohmann::ordered_json f = nlohmann::ordered_json::object();
        if (c.fit.r2) f["r2"] = *c.fit.r2;
        if (c.fit.rmse_ns) f["rmse"] = shortest(*c.fit.rmse_ns) + "ns";
        if (c.fit.samples) f["samples"] = *c.fit.samples;
        if (c.fit.holdout_error) f["holdout_error"] = *c.fit.holdout_error;
        s += "    fit: " + flow(f) + "\n";
      }
      s += "    " + it.key() + ": " + flow(it.value()) + "\n";
    }
  }
  return s;
}

}  // namespace servesim::calib
