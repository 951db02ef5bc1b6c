#include "sim/metrics/result_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/config/error.h"
#include "sim/config/tree.h"

namespace servesim {

namespace {

using Json = nlohmann::ordered_json;

bool finite_number(const Json& v) { return v.is_number() && std::isfinite(v.get<double>()); }

/// A shape summary_json gives a member its readers use, and how an error names it.
struct Shape {
  bool (*fits)(const Json&);
  const char* expected;
};

constexpr Shape kNumber{finite_number, "a finite number"};
// An infinite bound, or one unknown, is written as null.
constexpr Shape kNumberOrNull{[](const Json& v) { return v.is_null() || finite_number(v); },
                              "a finite number or null"};
// Parsed non-negative integers are unsigned; in memory they may be int.
constexpr Shape kCount{[](const Json& v) {
                         return v.is_number_unsigned() ||
                                (v.is_number_integer() && v.get<std::int64_t>() >= 0);
                       },
                       "an integer >= 0"};
constexpr Shape kString{[](const Json& v) { return v.is_string(); }, "a string"};
constexpr Shape kBool{[](const Json& v) { return v.is_boolean(); }, "true or false"};
constexpr Shape kObject{[](const Json& v) { return v.is_object(); }, "an object"};
constexpr Shape kArray{[](const Json& v) { return v.is_array(); }, "an array"};
constexpr Shape kInterval{[](const Json& v) {
                            return v.is_array() && v.size() == 2 && finite_number(v[0]) &&
                                   finite_number(v[1]);
                          },
                          "an array of 2 finite numbers"};

/// Walks a document, throwing at the first member that does not fit; `at` is a JSON pointer.
class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& at, const std::string& what) const {
    throw ConfigError(SourceMark{file_, 1, 1}, at.empty() ? "/" : at, what);
  }

  /// The member `key` of the object `o` found at `at`: present, and of shape `s`.
  const Json& get(const Json& o, const std::string& at, const char* key, const Shape& s) const {
    const auto it = o.find(key);
    if (it == o.end()) fail(at + "/" + key, std::string("missing: expected ") + s.expected);
    if (!s.fits(*it)) fail(at + "/" + key, std::string("expected ") + s.expected);
    return *it;
  }

  /// As get, for a member the writer leaves out on some runs: nullptr when absent.
  const Json* optional(const Json& o, const std::string& at, const char* key,
                       const Shape& s) const {
    return o.contains(key) ? &get(o, at, key, s) : nullptr;
  }

  /// Each element of the array `a` at `at`, which must be of shape `s`, with its pointer.
  template <class F>
  void each(const Json& a, const std::string& at, Shape s, F&& f) const {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string here = at + "/" + std::to_string(i);
      if (!s.fits(a[i])) fail(here, std::string("expected ") + s.expected);
      f(a[i], here);
    }
  }

 private:
  std::string file_;
};

/// The line and column of `text`'s character at the 1-based byte index `byte` (nlohmann's).
SourceMark mark_at(std::string_view text, std::size_t byte, const std::string& file) {
  const std::string_view before = text.substr(0, std::min(byte > 0 ? byte - 1 : 0, text.size()));
  const auto nl = before.rfind('\n');
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::size_t col = nl == std::string_view::npos ? before.size() + 1 : before.size() - nl;
  return SourceMark{file, static_cast<int>(line), static_cast<int>(col)};
}

/// nlohmann's message without its "[json.exception.KIND.N] " tag and position prefix: the
/// position goes into the SourceMark instead.
std::string bare_message(const std::string& what, bool has_position) {
  std::string m = what.substr(what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2);
  if (has_position && m.find(": ") != std::string::npos) m = m.substr(m.find(": ") + 2);
  return m;
}

/// The `uncertainty` member: its draws, and p5/p50/p95 of each result over them.
void check_uncertainty(const Checker& c, const Json& u) {
  c.get(u, "/uncertainty", "draws", kCount);
  const auto spread = [&](const Json& o, const std::string& at, const char* key) {
    const Json& s = c.get(o, at, key, kObject);
    for (const char* k : {"p5", "p50", "p95"}) c.get(s, at + "/" + key, k, kNumber);
  };
  spread(u, "/uncertainty", "throughput_rps");
  const Json& lat = c.get(u, "/uncertainty", "latency_ms", kObject);
  for (const char* m : {"mean", "p50", "p95", "p99"}) spread(lat, "/uncertainty/latency_ms", m);
}

/// The `timeseries` member (run.interval): its columns, a finite number per window each.
void check_series(const Checker& c, const Json& t) {
  if (!(c.get(t, "/timeseries", "interval_s", kNumber).get<double>() > 0))
    c.fail("/timeseries/interval_s", "expected a number above 0");
  std::size_t windows = 0;
  for (const char* k : {"start_s", "offered_rps", "throughput_rps", "latency_mean_ms", "p50_ms",
                        "p99_ms", "in_system_mean", "nodes_serving"}) {
    const std::string at = std::string("/timeseries/") + k;
    const Json& col = c.get(t, "/timeseries", k, kArray);
    if (col.empty()) c.fail(at, "expected at least one window");
    if (windows == 0) windows = col.size();
    if (col.size() != windows)
      c.fail(at, "expected " + std::to_string(windows) + " values, one per window as start_s");
    c.each(col, at, kNumber, [](const Json&, const std::string&) {});
  }
}

}  // namespace

std::optional<double> result_rate_per_s(const nlohmann::ordered_json& rate) {
  // summary_json's config writes an open workload's rate as format_rate does: "<number>/s".
  if (!rate.is_string()) return std::nullopt;
  const std::string& s = rate.get_ref<const std::string&>();
  if (s.size() < 3 || !s.ends_with("/s")) return std::nullopt;
  const char* end = s.data() + s.size() - 2;
  double v = 0;
  const auto [stop, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || stop != end || !std::isfinite(v) || v <= 0) return std::nullopt;
  return v;
}

void check_result(const nlohmann::ordered_json& j, const std::string& file) {
  const Checker c(file);
  if (!j.is_object()) c.fail("", "expected an object: a result of servesim run --json");
  // In the order summary_json writes them, so the first bad member in the file is the one named.
  c.get(j, "", "completed", kCount);
  c.get(j, "", "throughput_rps", kNumber);
  c.get(j, "", "throughput_ci95", kInterval);
  const Json& lat = c.get(j, "", "latency_ms", kObject);
  for (const char* k : {"mean", "p50", "p90", "p95", "p99"}) c.get(lat, "/latency_ms", k, kNumber);
  c.each(
      c.get(j, "", "stages", kArray), "/stages", kObject,
      [&](const Json& st, const std::string& at) {
        c.get(st, at, "name", kString);
        c.get(st, at, "instances", kCount);
        for (const char* k : {"queue_ms", "compute_input_ms", "device_wait_ms", "compute_infer_ms",
                              "compute_output_ms", "utilization", "latency_share"})
          c.get(st, at, k, kNumber);
        if (const Json* b = c.optional(st, at, "batch_size", kObject))
          c.get(*b, at + "/batch_size", "mean", kNumber);
      });
  c.each(c.get(j, "", "resources", kArray), "/resources", kObject,
         [&](const Json& r, const std::string& at) {
           c.get(r, at, "name", kString);
           for (const char* k : {"servers", "utilization"}) c.get(r, at, k, kNumber);
           // Unknown (null) when nothing completed in the window.
           c.get(r, at, "demand_ms", kNumberOrNull);
           c.get(r, at, "throughput_bound_rps", kNumberOrNull);
         });
  c.get(j, "", "bottleneck", kString);
  const Json& energy = c.get(j, "", "energy_j_per_request", kObject);
  c.optional(energy, "/energy_j_per_request", "total", kNumber);
  c.get(j, "", "throughput_bound_rps", kNumberOrNull);
  c.get(j, "", "unstable", kBool);
  c.each(c.get(j, "", "warnings", kArray), "/warnings", kString,
         [](const Json&, const std::string&) {});
  c.each(c.get(j, "", "laws", kArray), "/laws", kObject, [&](const Json& l, const std::string& at) {
    // A law that cannot be evaluated has no error, and says why.
    if (c.get(l, at, "relative_error", kNumberOrNull).is_null())
      c.get(l, at, "cannot_check", kString);
  });
  // run --uncertainty N only: the spread over the draws of the curves' factors.
  if (const Json* u = c.optional(j, "", "uncertainty", kObject)) check_uncertainty(c, *u);
  if (const Json* n = c.optional(j, "", "nodes", kObject))
    for (const char* k : {"serving_mean", "node_hours"}) c.get(*n, "/nodes", k, kNumber);
  if (const Json* t = c.optional(j, "", "timeseries", kObject)) check_series(c, *t);
  c.get(j, "", "replications", kCount);
  c.get(j, "", "window_s", kNumber);
  c.get(j, "", "seed", kCount);
  // The load a result was run at, which compare pairs rows by.
  const Json& w = c.get(c.get(j, "", "config", kObject), "/config", "workload", kObject);
  const Json& mode = c.get(w, "/config/workload", "mode", kString);
  if (mode == "closed") {
    c.get(w, "/config/workload", "concurrency", kCount);
  } else if (mode == "open") {
    if (!result_rate_per_s(c.get(w, "/config/workload", "rate", kString)))
      c.fail("/config/workload/rate", "expected a rate in requests per second, such as \"100/s\"");
  } else {
    c.fail("/config/workload/mode", "expected \"open\" or \"closed\"");
  }
}

nlohmann::ordered_json parse_result(std::string_view text, const std::string& file) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw ConfigError(mark_at(text, e.byte, file), "",
                      "not valid JSON: " + bare_message(e.what(), true));
  } catch (const Json::out_of_range& e) {
    // A number beyond a double (1e999): nlohmann names the number but not where it is.
    const std::string m = bare_message(e.what(), false);
    const auto q = m.find('\'');
    const auto at = q == std::string::npos ? std::string_view::npos
                                           : text.find(m.substr(q + 1, m.rfind('\'') - q - 1));
    throw ConfigError(
        at == std::string_view::npos ? SourceMark{file, 1, 1} : mark_at(text, at + 1, file), "",
        "not valid JSON: " + m);
  }
  check_result(j, file);
  return j;
}

nlohmann::ordered_json read_result(const std::filesystem::path& file) {
  return parse_result(read_data_file(file), file.string());
}

}  // namespace servesim
