#include "sim/metrics/report.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace servesim {

namespace {

// Rounded to 6 significant digits so the JSON stays readable; still byte-identical run to run.
double r6(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}

nlohmann::ordered_json interval(const Estimate& e) { return {r6(e.lo), r6(e.hi)}; }

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

}  // namespace

nlohmann::ordered_json summary_json(const RunSummary& s, const nlohmann::ordered_json& config) {
  nlohmann::ordered_json j;
  j["completed"] = s.completed;
  j["throughput_rps"] = r6(s.throughput_rps.mean);
  j["throughput_ci95"] = interval(s.throughput_rps);
  j["latency_ms"] = {{"mean", r6(s.latency_mean_ms.mean)},
                     {"p50", r6(s.p50_ms)},
                     {"p90", r6(s.p90_ms)},
                     {"p95", r6(s.p95_ms)},
                     {"p99", r6(s.p99_ms)},
                     {"max", r6(s.max_ms)},
                     {"mean_ci95", interval(s.latency_mean_ms)}};
  auto& stages = j["stages"] = nlohmann::ordered_json::array();
  for (const auto& st : s.stages) {
    stages.push_back({{"name", st.name},
                      {"queue_ms", r6(st.queue_ms.mean)},
                      {"service_ms", r6(st.service_ms.mean)},
                      {"utilization", r6(st.utilization)},
                      {"queue_ms_ci95", interval(st.queue_ms)}});
  }
  auto& res = j["resources"] = nlohmann::ordered_json::array();
  for (const auto& r : s.resources) {
    res.push_back({{"name", r.name},
                   {"servers", r.servers},
                   {"utilization", r6(r.utilization)},
                   {"demand_ms", r6(r.demand_ms)},
                   {"throughput_bound_rps", std::isfinite(r.throughput_bound)
                                                ? nlohmann::ordered_json(r6(r.throughput_bound))
                                                : nlohmann::ordered_json()}});
  }
  j["bottleneck"] = s.bottleneck;
  j["throughput_bound_rps"] = std::isfinite(s.throughput_bound)
                                  ? nlohmann::ordered_json(r6(s.throughput_bound))
                                  : nlohmann::ordered_json();
  j["unstable"] = s.unstable;
  j["warnings"] = s.warnings;
  auto& laws = j["laws"] = nlohmann::ordered_json::array();
  for (const auto& l : s.laws)
    laws.push_back({{"law", l.law},
                    {"subject", l.subject},
                    {"measured", r6(l.lhs)},
                    {"predicted", r6(l.rhs)},
                    {"relative_error", r6(l.relative_error())}});
  j["replications"] = s.replications;
  j["window_s"] = r6(s.window_s);
  j["arrivals"] = s.arrivals;
  j["dropped"] = s.dropped;
  j["events"] = s.events;
  j["seed"] = config.value("seed", 0ULL);
  j["config"] = config;
  return j;
}

void print_summary(std::ostream& out, const RunSummary& s, const std::string& source) {
  out << "servesim: " << source << " — " << s.replications << " replication(s), window "
      << fmt("%.6g", s.window_s) << " s each (after warm-up)\n\n";
  out << fmt("  completed      %llu requests\n", static_cast<unsigned long long>(s.completed));
  out << fmt("  throughput     %.6g req/s   (95%% CI %.6g .. %.6g)\n", s.throughput_rps.mean,
             s.throughput_rps.lo, s.throughput_rps.hi);
  out << fmt("  latency mean   %.6g ms      (95%% CI %.6g .. %.6g)\n", s.latency_mean_ms.mean,
             s.latency_mean_ms.lo, s.latency_mean_ms.hi);
  out << fmt("  latency        p50 %.4g  p90 %.4g  p95 %.4g  p99 %.4g  max %.4g ms\n\n", s.p50_ms,
             s.p90_ms, s.p95_ms, s.p99_ms, s.max_ms);

  const double total = s.latency_mean_ms.mean;
  out << fmt("  %-16s %9s %12s %12s %8s %7s\n", "stage", "instances", "queue ms", "service ms",
             "share", "util");
  for (const auto& st : s.stages) {
    const double share = total > 0 ? (st.queue_ms.mean + st.service_ms.mean) / total : 0;
    out << fmt("  %-16s %9d %12.5g %12.5g %7.1f%% %6.1f%%\n", st.name.c_str(), st.instances,
               st.queue_ms.mean, st.service_ms.mean, 100 * share, 100 * st.utilization);
  }
  out << "\n"
      << fmt("  %-22s %8s %7s %12s %14s\n", "resource", "servers", "util", "demand ms",
             "bound req/s");
  for (const auto& r : s.resources) {
    out << fmt("  %-22s %8g %6.1f%% %12.5g %14.6g%s\n", r.name.c_str(), r.servers,
               100 * r.utilization, r.demand_ms, r.throughput_bound,
               r.name == s.bottleneck ? "  <- bottleneck" : "");
  }
  double worst = 0;
  for (const auto& l : s.laws) worst = std::max(worst, l.relative_error());
  out << fmt(
      "\n  operational laws: Little's law and the utilisation law hold to %.2g%% (worst of %zu "
      "checks)\n",
      100 * worst, s.laws.size());
  out << (s.unstable ? "  UNSTABLE: the offered load outruns capacity\n" : "");
  for (const auto& w : s.warnings) out << "  warning: " << w << "\n";
}

}  // namespace servesim
