#include "sim/scenario/curves.h"

#include <charconv>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sim/config/reader.h"

namespace servesim {

namespace {

constexpr const char* kNeedsSource =
    "every curve needs a source: (measured by calib, a document and figure, or 'assumption: "
    "...')";

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> input_names() {
  std::vector<std::string> v;
  for (const auto n : curve_input_names()) v.emplace_back(n);
  return v;
}

std::string item_key(const std::string& list_key, std::size_t i) {
  return list_key + "[" + std::to_string(i) + "]";
}

/// A time or a slope (time per unit of input) in ns, >= 0, kept fractional: slopes such as
/// 7.9ns per pixel are why this is not read_duration, which rounds to whole nanoseconds.
double read_ns(const ConfigNode& n, const std::string& key) {
  const double ns = read_fine_ns(n, key);
  // Seconds times 1e9 is off by an ulp or two (0.045ms gives 44999.999999999993 ns); 15
  // significant digits give back the number as written.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", ns);
  return std::strtod(buf, nullptr);
}

/// A plain number without a unit.
double read_plain(const ConfigNode& n, const std::string& key) {
  const std::string& text = read_scalar(n, key, "a plain number (no unit)");
  const auto v = parse_number(text);
  if (!v) throw ConfigError(n.mark, key, "expected a plain number (no unit), got '" + text + "'");
  return *v;
}

/// The list under `key` (required, non-empty).
const ConfigNode& read_list(MapReader& r, std::string_view key, const std::string& example) {
  const ConfigNode& n = r.require(key);
  if (!n.is_sequence() || n.items.empty())
    r.fail_at(n, key,
              "expected a non-empty list, e.g. " + example + ", got " + std::string(n.kind_name()));
  return n;
}

std::vector<double> read_ns_list(MapReader& r, std::string_view key, const std::string& example) {
  const ConfigNode& n = read_list(r, key, example);
  std::vector<double> v;
  for (std::size_t i = 0; i < n.items.size(); ++i)
    v.push_back(read_ns(n.items[i], item_key(r.key_path(key), i)));
  return v;
}

/// Plain numbers, each > (or >= when allow_zero) 0 and greater than the one before.
std::vector<double> read_increasing(MapReader& r, std::string_view key, bool allow_zero,
                                    const std::string& example) {
  const ConfigNode& n = read_list(r, key, example);
  std::vector<double> v;
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    const std::string k = item_key(r.key_path(key), i);
    const double x = read_plain(n.items[i], k);
    if (x < 0 || (!allow_zero && x == 0))
      throw ConfigError(n.items[i].mark, k,
                        std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + ", got '" +
                            n.items[i].scalar + "'");
    if (!v.empty() && x <= v.back())
      throw ConfigError(n.items[i].mark, k,
                        "must be greater than the value before it ('" + n.items[i - 1].scalar +
                            "'): the list must be strictly increasing");
    v.push_back(x);
  }
  return v;
}

double require_ns(MapReader& r, std::string_view key) {
  return read_ns(r.require(key), r.key_path(key));
}

std::vector<CurveInput> parse_inputs(MapReader& r, CurveForm form) {
  const std::string form_name(curve_form_name(form));
  const ConfigNode* n = r.get("inputs");
  std::vector<CurveInput> v;
  if (n) {
    if (!n->is_sequence())
      r.fail_at(*n, "inputs",
                "expected a list of input names, e.g. [pixels] (inputs: " + join(input_names()) +
                    "), got " + std::string(n->kind_name()));
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      const ConfigNode& item = n->items[i];
      const std::string k = item_key(r.key_path("inputs"), i);
      const std::string& name = read_scalar(item, k, "an input name");
      CurveInput x;
      if (!parse_curve_input(name, x)) {
        const std::string hint = did_you_mean(name, input_names());
        throw ConfigError(item.mark, k,
                          "unknown input '" + name + "' (one of: " + join(input_names()) + ")" +
                              (hint.empty() ? "" : "; " + hint));
      }
      for (const CurveInput y : v)
        if (y == x) throw ConfigError(item.mark, k, "input '" + name + "' is listed twice");
      v.push_back(x);
    }
  }
  if (form == CurveForm::kConstant) {
    if (!v.empty())
      r.fail_at(*n, "inputs",
                "a constant curve depends on no input; remove inputs (or write inputs: [])");
    return v;
  }
  if (!n) r.require("inputs");
  if (v.empty())
    r.fail_at(*n, "inputs",
              "form: " + form_name + " needs an input (one of: " + join(input_names()) + ")");
  if (form != CurveForm::kAffine && v.size() > 1)
    r.fail_at(*n, "inputs",
              "form: " + form_name + " takes exactly one input, got " + std::to_string(v.size()) +
                  " (only affine takes several)");
  return v;
}

/// Runs a Curve builder, turning its std::invalid_argument into an error at `r`'s `key`.
template <class F>
Curve build(const MapReader& r, std::string_view key, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
}

Curve parse_coef(MapReader c, CurveForm form, const std::vector<CurveInput>& inputs) {
  const double a = require_ns(c, "a");
  switch (form) {
    case CurveForm::kConstant:
      c.finish();
      return build(c, "a", [&] { return Curve::constant(a); });
    case CurveForm::kAffine: {
      std::vector<std::pair<CurveInput, double>> slopes;
      if (inputs.size() == 1) {
        slopes.emplace_back(inputs[0], require_ns(c, "b"));
      } else {
        std::vector<std::string> keys;
        for (const CurveInput x : inputs) keys.push_back("b_" + std::string(curve_input_name(x)));
        if (c.has("b"))
          c.fail("b",
                 "with several inputs each has its own slope: use " + join(keys) + " instead of b");
        for (std::size_t i = 0; i < inputs.size(); ++i)
          slopes.emplace_back(inputs[i], require_ns(c, keys[i]));
        for (const auto name : curve_input_names()) {
          const std::string k = "b_" + std::string(name);
          CurveInput x;
          parse_curve_input(name, x);
          bool used = false;
          for (const CurveInput y : inputs) used = used || y == x;
          if (!used && c.has(k))
            c.fail(k, "'" + std::string(name) +
                          "' is not among this curve's inputs; add it to inputs or remove " + k);
        }
      }
      c.finish();
      return build(c, "a", [&] { return Curve::affine(a, slopes); });
    }
    case CurveForm::kPower: {
      const double b = require_ns(c, "b");
      const double p = read_plain(c.require("p"), c.key_path("p"));
      if (!(p > 0)) c.fail("p", "the exponent p must be > 0, got '" + c.require("p").scalar + "'");
      c.finish();
      return build(c, "p", [&] { return Curve::power(inputs[0], a, b, p); });
    }
    case CurveForm::kPiecewise: {
      std::vector<double> slopes = read_ns_list(c, "b", "[2ms, 0.5ms]");
      const ConfigNode& knee_node = c.require("knees");
      std::vector<double> knees =
          knee_node.is_sequence() && knee_node.items.empty()
              ? std::vector<double>{}
              : read_increasing(c, "knees", false, "[8, 32] (plain numbers of the input)");
      c.finish();
      if (slopes.size() != knees.size() + 1)
        c.fail("b",
               "a piecewise curve needs one slope more than knees (one before the first "
               "knee and one after each): got " +
                   std::to_string(slopes.size()) + " slopes and " + std::to_string(knees.size()) +
                   " knees");
      return build(c, "b", [&] {
        return Curve::piecewise(inputs[0], a, std::move(slopes), std::move(knees));
      });
    }
    case CurveForm::kTable:
      break;  // parse_table
  }
  return {};
}

Curve parse_table(MapReader t, CurveInput x) {
  std::vector<double> xs = read_increasing(t, "x", true, "[1, 8, 32] (plain numbers)");
  std::vector<double> ts = read_ns_list(t, "t", "[1.2ms, 3ms, 9ms]");
  t.finish();
  if (ts.size() != xs.size())
    t.fail("t", "a table needs one time per x value: got " + std::to_string(xs.size()) +
                    " x values and " + std::to_string(ts.size()) + " times");
  return build(t, "x", [&] { return Curve::table(x, std::move(xs), std::move(ts)); });
}

void parse_noise(MapReader& r, Curve& c) {
  const ConfigNode* n = r.get("noise");
  if (!n || (n->is_scalar() && n->scalar == "none")) return;
  if (!n->is_map())
    r.fail_at(*n, "noise",
              "expected {dist: lognormal, cv: 0.06}, {dist: gamma, cv: ...} or none, got " +
                  (n->is_scalar() ? "'" + n->scalar + "'" : std::string(n->kind_name())));
  MapReader nr = r.child("noise");
  const auto dist = nr.choice("dist", {"lognormal", "gamma"});
  if (!dist) nr.require("dist");
  const auto cv = nr.number("cv", 0, 10);
  if (!cv) nr.require("cv");
  nr.finish();
  if (*cv == 0) return;  // no noise: neither distribution exists with cv 0
  try {
    c.with_noise(Distribution::make(*dist == "lognormal" ? DistKind::kLognormal : DistKind::kGamma,
                                    1.0, *cv));
  } catch (const std::invalid_argument& e) {
    nr.fail("cv", e.what());
  }
}

CurveFit parse_fit(MapReader f) {
  CurveFit fit;
  fit.r2 = f.number("r2", -kInf, kInf);
  if (fit.r2 && *fit.r2 > 1) f.fail("r2", "r2 is at most 1, got '" + f.require("r2").scalar + "'");
  if (const ConfigNode* n = f.get("rmse")) fit.rmse_ns = read_ns(*n, f.key_path("rmse"));
  fit.samples = f.integer("samples", 1, std::int64_t{1} << 53);
  fit.holdout_error = f.number("holdout_error", -kInf, kInf);
  if (fit.holdout_error && *fit.holdout_error < 0)
    f.fail("holdout_error",
           "a relative error is >= 0, got '" + f.require("holdout_error").scalar + "'");
  f.finish();
  return fit;
}

Curve parse_curve(const MapEntry& e, const std::string& path) {
  MapReader r(e.value, path, &e.key_mark);
  const auto form_name = r.choice("form", {"constant", "affine", "power", "piecewise", "table"});
  if (!form_name) r.require("form");
  CurveForm form = CurveForm::kConstant;
  parse_curve_form(*form_name, form);
  const std::vector<CurveInput> inputs = parse_inputs(r, form);
  Curve c;
  if (form == CurveForm::kTable) {
    if (r.get("coef"))
      r.fail("coef", "form: table takes its points as table: {x: [...], t: [...]}, not coef");
    c = parse_table(r.child("table"), inputs[0]);
  } else {
    if (r.get("table"))
      r.fail("table", "table: belongs to form: table; form: " + *form_name + " takes coef");
    c = parse_coef(r.child("coef"), form, inputs);
  }
  parse_noise(r, c);
  if (r.has("fit")) c.fit = parse_fit(r.child("fit"));
  const auto source = r.string("source");
  r.finish();
  if (!source) throw ConfigError(e.key_mark, r.key_path("source"), kNeedsSource);
  if (source->find_first_not_of(" \t") == std::string::npos)
    r.fail("source", std::string("is empty; ") + kNeedsSource);
  c.source = *source;
  return c;
}

}  // namespace

CurveSet parse_curves(const ConfigNode& curves_map, const std::string& path) {
  if (!curves_map.is_map())
    throw ConfigError(curves_map.mark, path,
                      "expected a map of curve names to curves (e.g. jpeg_decode_cpu: {inputs: "
                      "[pixels], form: affine, ...}), got " +
                          std::string(curves_map.kind_name()));
  CurveSet set;
  for (const MapEntry& e : curves_map.entries) {
    const std::string at = path + "." + e.key;
    check_name(e.key, e.key_mark, at);
    if (e.key.empty() || e.key.find_first_of(". []") != std::string::npos)
      throw ConfigError(e.key_mark, at,
                        "a curve name must be non-empty without spaces, dots or brackets (it is "
                        "used in service: {curve: NAME} and in --set paths)");
    set.emplace(e.key, parse_curve(e, at));
  }
  return set;
}

const Curve& find_curve(const CurveSet& curves, std::string_view name, const ConfigNode& at,
                        const std::string& key) {
  if (const auto it = curves.find(name); it != curves.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, c] : curves) names.push_back(n);
  std::string msg = "unknown curve '" + std::string(name) + "'";
  if (names.empty()) {
    msg += "; no curves are defined (add a top-level curves: map, or include a curves file)";
  } else {
    const std::string hint = did_you_mean(name, names);
    msg += hint.empty() ? " (curves: " + join(names) + ")" : "; " + hint;
  }
  throw ConfigError(at.mark, key, msg);
}

std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

nlohmann::ordered_json curve_json(const Curve& c) {
  using J = nlohmann::ordered_json;
  auto ns = [](double v) { return shortest(v) + "ns"; };
  J j;
  if (!c.inputs().empty()) {
    J in = J::array();
    for (const CurveInput x : c.inputs()) in.push_back(std::string(curve_input_name(x)));
    j["inputs"] = in;
  }
  j["form"] = std::string(curve_form_name(c.form()));
  switch (c.form()) {
    case CurveForm::kConstant:
      j["coef"] = {{"a", ns(c.a_ns())}};
      break;
    case CurveForm::kAffine: {
      J coef{{"a", ns(c.a_ns())}};
      for (const CurveInput x : c.inputs())
        coef[c.inputs().size() == 1 ? std::string("b") : "b_" + std::string(curve_input_name(x))] =
            ns(c.slope_ns(x));
      j["coef"] = coef;
      break;
    }
    case CurveForm::kPower:
      j["coef"] = {{"a", ns(c.a_ns())}, {"b", ns(c.b_ns())}, {"p", c.exponent()}};
      break;
    case CurveForm::kPiecewise: {
      J b = J::array(), k = J::array();
      for (const double v : c.slopes_ns()) b.push_back(ns(v));
      for (const double v : c.knees()) k.push_back(v);
      j["coef"] = {{"a", ns(c.a_ns())}, {"b", b}, {"knees", k}};
      break;
    }
    case CurveForm::kTable: {
      J x = J::array(), t = J::array();
      for (const double v : c.table_xs()) x.push_back(v);
      for (const double v : c.table_ts_ns()) t.push_back(ns(v));
      j["table"] = {{"x", x}, {"t", t}};
      break;
    }
  }
  if (const Distribution* n = c.noise())
    j["noise"] = {{"dist", std::string(dist_kind_name(n->kind()))}, {"cv", n->cv()}};
  j["source"] = c.source;
  return j;
}

}  // namespace servesim
