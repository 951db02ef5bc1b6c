#include "sim/scenario/curves.h"

#include <charconv>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sim/config/reader.h"
#include "sim/config/schema.h"

namespace servesim {

namespace {

constexpr const char* kNeedsSource =
    "every curve needs a source: (measured by calib, a document and figure, or 'assumption: "
    "...')";

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The draw a curve's samples are multiplied by, as `noise:` writes it.
struct Noise {
  DistKind dist = DistKind::kLognormal;
  double cv = 0;
};

const EnumNames<CurveForm>& forms() {
  static const EnumNames<CurveForm> names(kCurveFormNames);
  return names;
}

const EnumNames<DistKind>& noise_dists() {
  static const EnumNames<DistKind> names{
      {DistKind::kLognormal, dist_kind_name(DistKind::kLognormal)},
      {DistKind::kGamma, dist_kind_name(DistKind::kGamma)}};
  return names;
}

/// An affine curve with several inputs has a slope key per input (b_batch, ...).
struct SlopeKey {
  CurveInput x;
  std::string key, help;
};

const std::vector<SlopeKey>& slope_keys() {
  static const std::vector<SlopeKey> keys = [] {
    std::vector<SlopeKey> v;
    for (const auto& [x, name] : kCurveInputNames)
      v.push_back({x, "b_" + std::string(name),
                   "`affine` with several inputs: the slope of `" + std::string(name) + "`"});
    return v;
  }();
  return keys;
}

const std::string& slope_key(CurveInput x) {
  for (const SlopeKey& k : slope_keys())
    if (k.x == x) return k.key;
  throw std::logic_error("an input without a slope key");
}

/// A curve's own keys, in the order the docs list them. parse_curve reads them (the form picks
/// which of coef and table), curve_json writes them.
const Table<Curve>& curve_keys() {
  static const std::string inputs_type =
      "list of " + choices_text({curve_input_names().begin(), curve_input_names().end()}) +
      ", distinct";
  static const Table<Curve> table{
      "",
      {},
      {
          {.key = "form",
           .type = choice_type(),
           .at = {[](const Curve& c) { return Value(std::string(forms().name(c.form()))); },
                  [](Curve&, const Value&) {},  // the coef or table keys build the curve
                  forms().names()},
           .required = true,
           .help = "the shape, below"},
          {.key = "inputs",
           .type = custom_type(),
           .help = "what the curve depends on; `constant` takes none, `affine` one or more, the "
                   "others exactly one",
           .doc_type = inputs_type,
           .doc_default = "required except `constant`"},
          {.key = "coef",
           .type = custom_type(),
           .help = "coefficients: the `coef.` keys below that the form takes",
           .doc_type = "map",
           .doc_default = "required except `table`"},
          {.key = "table",
           .type = custom_type(),
           .help = "points: the `table.` keys below",
           .doc_type = "map",
           .doc_default = "required for `table`"},
          {.key = "noise",
           .type = custom_type(),
           .help = "each sample is the mean times a draw of mean 1 (one draw per batch), as the "
                   "`noise.` keys below say",
           .doc_type = "`none` or a map",
           .doc_default = "none"},
          {.key = "uncertainty",
           .type = custom_type(),
           .help = "the band the curve's time is uncertain within, from the spread of its "
                   "sources, as the `uncertainty.` keys below say: `servesim run --uncertainty "
                   "N` scales the whole curve by a factor drawn uniformly in the band",
           .doc_type = "map",
           .doc_default = "none (taken as exact)"},
          {.key = "fit",
           .type = custom_type(),
           .help = "how well the curve fitted, the `fit.` keys below (recorded; not used by the "
                   "simulation)",
           .doc_type = "map"},
          {.key = "source",
           .type = string_type(),
           .at = &Curve::source,
           .help = "where the numbers come from",
           .doc_type = "non-empty string",
           .doc_default = "required"},
      }};
  return table;
}

/// The coefficients of every form but `table`. Which form takes which depends on the form and
/// its inputs (kFormDocs), so parse_coef reads them; the rows give their names and docs.
const Table<Curve>& coef_keys() {
  static const Table<Curve> table = [] {
    std::vector<Key<Curve>> rows{
        {.key = "a",
         .type = custom_type(),
         .help = "the intercept",
         .doc_type = "duration >= 0",
         .doc_default = "required"},
        {.key = "b",
         .type = custom_type(),
         .help = "the slope; for `piecewise` one per segment",
         .doc_type = "duration >= 0 per unit of the input (`7.9ns` per pixel, `2us` per image; "
                     "fractions of a ns allowed); for `piecewise` a non-empty list of them",
         .doc_default = "required, but not with several inputs"},
    };
    for (const SlopeKey& k : slope_keys())
      rows.push_back({.key = k.key,
                      .type = custom_type(),
                      .help = k.help,
                      .doc_type = "duration >= 0 per unit of the input",
                      .doc_default = "required for each input"});
    rows.push_back({.key = "p",
                    .type = custom_type(),
                    .help = "`power`: the exponent",
                    .doc_type = "plain number > 0",
                    .doc_default = "required for `power`"});
    rows.push_back({.key = "knees",
                    .type = custom_type(),
                    .help = "`piecewise`: where the slope changes",
                    .doc_type = "list of plain numbers > 0, strictly increasing",
                    .doc_default = "required for `piecewise`"});
    return Table<Curve>("coef.", {}, std::move(rows));
  }();
  return table;
}

/// A table curve's points (parse_table reads them: lists checked item by item).
const Table<Curve>& point_keys() {
  static const Table<Curve> table{
      "table.",
      {},
      {
          {.key = "x",
           .type = custom_type(),
           .help = "the input at each point",
           .doc_type = "non-empty list of plain numbers >= 0, strictly increasing",
           .doc_default = "required"},
          {.key = "t",
           .type = custom_type(),
           .help = "the time at each point",
           .doc_type = "non-empty list of durations >= 0, one per `x`",
           .doc_default = "required"},
      }};
  return table;
}

const Table<Noise>& noise_keys() {
  static const Table<Noise> table{
      "noise.",
      {},
      {
          {.key = "dist",
           .type = choice_type(),
           .at = {&Noise::dist, noise_dists()},
           .required = true,
           .help = "the draw's distribution"},
          {.key = "cv",
           .type = number_type(0, 10),
           .at = &Noise::cv,
           .required = true,
           .help = "the draw's coefficient of variation; `cv: 0` is no noise"},
      }};
  return table;
}

/// A curve's uncertainty band (parse_band reads them: the rules span the keys).
const Table<CurveBand>& band_keys() {
  static const Table<CurveBand> table{
      "uncertainty.",
      {},
      {
          {.key = "rel",
           .type = custom_type(),
           .help = "a relative half-width: the factor is drawn in [1 - rel, 1 + rel]",
           .doc_type = "plain number in [0, 1)",
           .doc_default = "required unless `low` and `high`"},
          {.key = "low",
           .type = custom_type(),
           .help = "or: the lowest factor (the fastest the sources allow, relative to the curve)",
           .doc_type = "plain number in (0, 1]",
           .doc_default = "with `high`, instead of `rel`"},
          {.key = "high",
           .type = custom_type(),
           .help = "and the highest factor (the slowest, e.g. 2.7 for a source 2.7x slower)",
           .doc_type = "plain number >= 1",
           .doc_default = "with `low`, instead of `rel`"},
          {.key = "source",
           .type = string_type(),
           .at = &CurveBand::source,
           .help = "how the band was derived from the curve's sources",
           .doc_type = "non-empty string",
           .doc_default = "required"},
      }};
  return table;
}

/// An optional number of CurveFit as a row's value (absent: monostate).
template <class N>
Member<CurveFit> fit_member(std::optional<N> CurveFit::*m) {
  return {[m](const CurveFit& f) { return (f.*m) ? Value(*(f.*m)) : Value(); },
          [m](CurveFit& f, const Value& v) { f.*m = std::get<N>(v); }};
}

const Table<CurveFit>& fit_keys() {
  static const Table<CurveFit> table{"fit.",
                                     {},
                                     {
                                         {.key = "r2",
                                          .type = number_type(-kInf, kInf),
                                          .at = fit_member(&CurveFit::r2),
                                          .help = "the coefficient of determination",
                                          .doc_type = "number <= 1"},
                                         {.key = "rmse",
                                          .type = custom_type(),
                                          .help = "the root-mean-square error",
                                          .doc_type = "duration >= 0",
                                          .doc_default = "—"},
                                         {.key = "samples",
                                          .type = integer_type(1, 9007199254740992.0),
                                          .at = fit_member(&CurveFit::samples),
                                          .help = "how many measurements it was fitted to"},
                                         {.key = "holdout_error",
                                          .type = number_type(-kInf, kInf),
                                          .at = fit_member(&CurveFit::holdout_error),
                                          .help = "the relative error on held-out measurements",
                                          .doc_type = "number >= 0"},
                                     }};
  return table;
}

/// The docs' table of forms: which `coef` keys each takes, and what it computes.
struct FormDoc {
  CurveForm form;
  std::string_view which;  // after the name: ", one input x"
  std::string coef;
  std::string_view t;
};

std::vector<FormDoc> form_docs() {
  std::string slopes;
  for (const SlopeKey& k : slope_keys()) slopes += (slopes.empty() ? "`" : " / `") + k.key + "`";
  return {
      {CurveForm::kConstant, "", "`a`", "a"},
      {CurveForm::kAffine, ", one input x", "`a`, `b`", "a + b * x"},
      {CurveForm::kAffine, ", several inputs", "`a`, " + slopes + " (one per input)",
       "a + sum of b_x * x"},
      {CurveForm::kPower, "", "`a`, `b`, `p`", "a + b * x^p"},
      {CurveForm::kPiecewise, "", "`a`, `b: [slope, ...]`, `knees: [x, ...]`",
       "a + the integral from 0 to x of a slope that is `b[0]` up to `knees[0]`, `b[1]` up to "
       "`knees[1]`, ..., the last `b` after the last knee (one more slope than knees; `knees: "
       "[]` is affine)"},
      {CurveForm::kTable, "", "— (`table: {x: [...], t: [...]}`)",
       "linear interpolation through the points, extended by the end segments; one point is a "
       "constant"},
  };
}

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
        keys.reserve(inputs.size());
        for (const CurveInput x : inputs) keys.push_back(slope_key(x));
        if (c.has("b"))
          c.fail("b",
                 "with several inputs each has its own slope: use " + join(keys) + " instead of b");
        for (std::size_t i = 0; i < inputs.size(); ++i)
          slopes.emplace_back(inputs[i], require_ns(c, keys[i]));
        for (const SlopeKey& k : slope_keys()) {
          bool used = false;
          for (const CurveInput y : inputs) used = used || y == k.x;
          if (!used && c.has(k.key))
            c.fail(k.key, "'" + std::string(curve_input_name(k.x)) +
                              "' is not among this curve's inputs; add it to inputs or remove " +
                              k.key);
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
              "expected {dist: " + std::string(noise_dists().names()[0]) + ", cv: 0.06}, {dist: " +
                  std::string(noise_dists().names()[1]) + ", cv: ...} or none, got " +
                  (n->is_scalar() ? "'" + n->scalar + "'" : std::string(n->kind_name())));
  MapReader nr = r.child("noise");
  Noise noise;
  read_keys(nr, noise_keys(), noise);
  nr.finish();
  if (noise.cv == 0) return;  // no noise: neither distribution exists with cv 0
  try {
    c.with_noise(Distribution::make(noise.dist, 1.0, noise.cv));
  } catch (const std::invalid_argument& e) {
    nr.fail("cv", e.what());
  }
}

/// A plain number of the band, checked against [min, max] (`min_open`: min itself excluded,
/// `max_open`: max excluded) with a message saying why.
double read_band_number(MapReader& r, std::string_view key, double min, bool min_open, double max,
                        bool max_open, const std::string& why) {
  const ConfigNode& n = r.require(key);
  const double v = read_plain(n, r.key_path(key));
  const bool ok =
      std::isfinite(v) && (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  if (!ok) r.fail_at(n, key, "got '" + n.scalar + "': " + why);
  return v;
}

void parse_band(MapReader& r, Curve& c) {
  const ConfigNode* n = r.get("uncertainty");
  if (!n) return;
  if (!n->is_map())
    r.fail_at(*n, "uncertainty",
              "expected a map such as {rel: 0.3, source: \"...\"} or {low: 0.8, high: 2.7, "
              "source: \"...\"}, got " +
                  (n->is_scalar() ? "'" + n->scalar + "'" : std::string(n->kind_name())));
  MapReader b = r.child("uncertainty");
  CurveBand band;
  const bool rel = b.has("rel"), low = b.has("low"), high = b.has("high");
  if (rel && (low || high))
    b.fail(low ? "low" : "high", "give either rel or low and high, not both");
  if (rel) {
    band.rel = read_band_number(b, "rel", 0, false, 1, true,
                                "rel must be >= 0 and < 1 (the factor 1 - rel must stay > 0; for "
                                "a band wider than that, give low and high)");
    band.low = 1 - *band.rel;
    band.high = 1 + *band.rel;
  } else if (low || high) {
    band.low = read_band_number(b, "low", 0, true, 1, false,
                                "low is a factor in (0, 1]: the band holds the curve itself (1)");
    band.high = read_band_number(b, "high", 1, false, kInf, true,
                                 "high is a finite factor >= 1: the band holds the curve itself "
                                 "(1)");
  } else {
    b.require("rel");  // the message names the missing key
  }
  const Table<CurveBand>& keys = band_keys();
  const Value source = read_row(b, keys, "source");
  b.finish();
  if (std::holds_alternative<std::monostate>(source)) b.require("source");
  if (std::get<std::string>(source).find_first_not_of(" \t") == std::string::npos)
    b.fail("source", "is empty; say how the band was derived from the curve's sources");
  keys.row("source").at.set(band, source);
  c.band = std::move(band);
}

CurveFit parse_fit(MapReader f) {
  // Key by key, as each check comes before the next key is read.
  const Table<CurveFit>& keys = fit_keys();
  CurveFit fit;
  read_key(f, keys, "r2", fit);
  if (fit.r2 && *fit.r2 > 1) f.fail("r2", "r2 is at most 1, got '" + f.require("r2").scalar + "'");
  if (const ConfigNode* n = f.get("rmse")) fit.rmse_ns = read_ns(*n, f.key_path("rmse"));
  read_key(f, keys, "samples", fit);
  read_key(f, keys, "holdout_error", fit);
  if (fit.holdout_error && *fit.holdout_error < 0)
    f.fail("holdout_error",
           "a relative error is >= 0, got '" + f.require("holdout_error").scalar + "'");
  f.finish();
  return fit;
}

Curve parse_curve(const MapEntry& e, const std::string& path) {
  // The keys of curve_keys(), in the order the messages have always listed them (a form but
  // table asks about table before reading coef).
  const Table<Curve>& keys = curve_keys();
  MapReader r(e.value, path, &e.key_mark);
  const std::string form_name = std::get<std::string>(read_row(r, keys, "form"));
  const CurveForm form = forms().value(form_name);
  const std::vector<CurveInput> inputs = parse_inputs(r, form);
  Curve c;
  if (form == CurveForm::kTable) {
    if (r.get("coef"))
      r.fail("coef", "form: table takes its points as table: {x: [...], t: [...]}, not coef");
    c = parse_table(r.child("table"), inputs[0]);
  } else {
    if (r.get("table"))
      r.fail("table", "table: belongs to form: table; form: " + form_name + " takes coef");
    c = parse_coef(r.child("coef"), form, inputs);
  }
  parse_noise(r, c);
  parse_band(r, c);
  if (r.has("fit")) c.fit = parse_fit(r.child("fit"));
  const Value source = read_row(r, keys, "source");
  r.finish();
  if (std::holds_alternative<std::monostate>(source))
    throw ConfigError(e.key_mark, r.key_path("source"), kNeedsSource);
  if (std::get<std::string>(source).find_first_not_of(" \t") == std::string::npos)
    r.fail("source", std::string("is empty; ") + kNeedsSource);
  keys.row("source").at.set(c, source);
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
  const Table<Curve>& keys = curve_keys();
  emit_key(j, keys, "form", c);
  switch (c.form()) {
    case CurveForm::kConstant:
      j["coef"] = {{"a", ns(c.a_ns())}};
      break;
    case CurveForm::kAffine: {
      J coef{{"a", ns(c.a_ns())}};
      for (const CurveInput x : c.inputs())
        coef[c.inputs().size() == 1 ? std::string("b") : slope_key(x)] = ns(c.slope_ns(x));
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
  if (const Distribution* n = c.noise()) {
    J noise;
    emit_keys(noise, noise_keys(), Noise{n->kind(), n->cv()});
    j["noise"] = noise;
  }
  if (c.band) {
    J band;
    if (c.band->rel) {
      band["rel"] = *c.band->rel;
    } else {
      band["low"] = c.band->low;
      band["high"] = c.band->high;
    }
    emit_key(band, band_keys(), "source", *c.band);
    j["uncertainty"] = band;
  }
  emit_key(j, keys, "source", c);
  return j;
}

std::string curve_keys_doc() {
  return doc_table(curve_keys()) + doc_rows(coef_keys(), coef_keys().prefix) +
         doc_rows(point_keys(), point_keys().prefix) + doc_rows(noise_keys(), noise_keys().prefix) +
         doc_rows(band_keys(), band_keys().prefix) + doc_rows(fit_keys(), fit_keys().prefix);
}

std::string curve_forms_doc() {
  std::string out = "| form | `coef` keys | t = |\n|---|---|---|\n";
  for (const FormDoc& f : form_docs())
    out += "| `" + std::string(forms().name(f.form)) + "`" + std::string(f.which) + " | " + f.coef +
           " | " + std::string(f.t) + " |\n";
  return out;
}

}  // namespace servesim
