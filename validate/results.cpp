#include "validate/validate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>
#include <utility>

#include "sim/core/random.h"

namespace servesim::validate {

double relative_error(double predicted, double measured) {
  if (measured == 0) return predicted == 0 ? 0 : 1;
  return (predicted - measured) / measured;
}

double median_abs(std::vector<double> v) {
  if (v.empty()) return 0;
  for (double& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double worst_abs(const std::vector<double>& v) {
  double w = 0;
  for (const double x : v) w = std::max(w, std::abs(x));
  return w;
}

std::string Errors::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "throughput %.1f%% / %.1f%%, p50 %.1f%% / %.1f%%, p99 %.1f%% / %.1f%%",
                median_abs(throughput) * 100, worst_abs(throughput) * 100, median_abs(p50) * 100,
                worst_abs(p50) * 100, median_abs(p99) * 100, worst_abs(p99) * 100);
  return buf;
}

void print_ablation_errors(const std::vector<ValidationRow>& rows, bool measured_demand,
                           std::ostream& out) {
  for (std::size_t k = 0; k < std::size(kAblations); ++k) {
    Errors e;
    for (const auto& r : rows) {
      const auto& list = measured_demand ? r.md_ablations : r.ablations;
      if (list.size() > k) e.add(r.measured, list[k].throughput, list[k].p50_ms, list[k].p99_ms);
    }
    if (!e.throughput.empty()) out << "  " << kAblations[k].label << ": " << e.summary() << "\n";
  }
}

std::string signed_percent(double e) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%+.1f%%", e * 100);
  return buf;
}

std::string csv_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void demand_ratios(ValidationRow& r, const Curve& pre, std::span<const calib::JpegImage> images,
                   const Curve& infer) {
  const PipelineResult& m = r.measured;
  if (m.preprocess.count > 0 && m.preprocess.cpu_cores > 0 && !images.empty()) {
    double cal = 0;
    for (const calib::JpegImage& j : images)
      cal += pre.mean_ns(
          {1, static_cast<double>(j.width) * j.height, static_cast<double>(j.data.size())});
    cal /= static_cast<double>(images.size());
    const double used = m.preprocess.cpu_cores * m.window_s * 1e9;
    r.preprocess_demand_ratio = used / (cal * static_cast<double>(m.preprocess.count));
  }
  double cal = 0;
  for (std::size_t b = 1; b < m.batch_sizes.size(); ++b)
    cal += static_cast<double>(m.batch_sizes[b]) * infer.mean_ns({static_cast<double>(b), 0, 0});
  if (cal > 0 && m.infer.cpu_cores > 0)
    r.infer_demand_ratio = m.infer.cpu_cores * m.window_s * 1e9 / cal;
}

namespace {

/// cv and nearest-rank p99 / p50 of `x` (sorted in place).
std::pair<double, double> cv_and_tail(std::vector<double>& x) {
  if (x.size() < 2) return {0, 0};
  double sum = 0, sq = 0;
  for (const double v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  for (const double v : x) sq += (v - mean) * (v - mean);
  const double sd = std::sqrt(sq / static_cast<double>(x.size() - 1));
  std::sort(x.begin(), x.end());
  const double p50 = nearest_rank(x, 0.50);
  return {mean > 0 ? sd / mean : 0, p50 > 0 ? nearest_rank(x, 0.99) / p50 : 0};
}

}  // namespace

CallSpread call_spread(std::span<const KernelCall> calls, const Curve& curve) {
  CallSpread s;
  std::vector<double> ratios;
  ratios.reserve(calls.size());
  double wall = 0, cpu = 0;
  for (const KernelCall& c : calls) {
    const double mean = curve.mean_ns({static_cast<double>(c.batch), c.pixels, c.bytes});
    if (!(mean > 0) || !(c.cpu_ns > 0)) continue;
    ratios.push_back(c.cpu_ns / mean);
    wall += c.wall_ns;
    cpu += c.cpu_ns;
  }
  s.calls = ratios.size();
  if (ratios.empty()) return s;
  std::tie(s.cv, s.p99_over_p50) = cv_and_tail(ratios);
  s.wall_over_cpu = wall / cpu;
  if (const Distribution* noise = curve.noise()) {
    // The same statistics of what the simulator draws, from a fixed stream: any noise kind.
    Rng rng = Rng::stream(1, 0, "validate", "noise quantiles");
    std::vector<double> draws(100000);
    for (double& d : draws) d = noise->sample(rng);
    std::tie(s.calibrated_cv, s.calibrated_p99_over_p50) = cv_and_tail(draws);
  }
  return s;
}

std::string validation_csv(const std::vector<ValidationRow>& rows) {
  std::ostringstream o;
  o << "size,mode,ingest,load,workers,max_batch_size,max_queue_delay_us,completed,"
       "measured_throughput,predicted_throughput,throughput_error,"
       "measured_p50_ms,predicted_p50_ms,p50_error,measured_p99_ms,predicted_p99_ms,p99_error,"
       "measured_batch_mean,predicted_batch_mean,"
       "measured_preprocess_queue_ms,predicted_preprocess_queue_ms,"
       "measured_preprocess_service_ms,predicted_preprocess_service_ms,"
       "measured_infer_queue_ms,predicted_infer_queue_ms,"
       "measured_infer_service_ms,predicted_infer_service_ms,other_load_cores,"
       "measured_preprocess_cpu_cores,measured_preprocess_runnable_wait_cores,"
       "measured_infer_cpu_cores,measured_infer_runnable_wait_cores,"
       "preprocess_demand_ratio,infer_demand_ratio,measured_demand_throughput,"
       "measured_demand_p50_ms,measured_demand_p99_ms,"
       "predicted_preprocess_runnable_wait_cores,predicted_infer_runnable_wait_cores,"
       "measured_client_cpu_cores,measured_client_runnable_wait_cores,"
       "measured_frontend_cpu_cores,measured_frontend_runnable_wait_cores,"
       "client_demand_ratio,frontend_demand_ratio";
  for (const char* stage : {"preprocess", "infer"})
    o << "," << stage << "_calls," << stage << "_call_cv," << stage << "_call_p99_over_p50,"
      << stage << "_call_wall_over_cpu,calibrated_" << stage << "_cv,calibrated_" << stage
      << "_p99_over_p50";
  o << ",speed_check_preprocess,speed_check_infer,checked_throughput,checked_p50_ms,"
       "checked_p99_ms";
  for (const char* run : {"", "measured_demand_"})
    for (const Ablation& a : kAblations)
      o << "," << run << "without_" << a.name << "_throughput," << run << "without_" << a.name
        << "_p50_ms," << run << "without_" << a.name << "_p99_ms," << run << "without_" << a.name
        << "_preprocess_runnable_wait_cores," << run << "without_" << a.name
        << "_infer_runnable_wait_cores";
  o << "\n";
  const auto g = csv_number;
  for (const auto& r : rows) {
    const auto& m = r.measured;
    o << r.size << "," << (r.open ? "open" : "closed") << "," << ingest_name(r.ingest) << ","
      << (r.open ? g(r.rate) : std::to_string(r.concurrency)) << "," << r.workers << ","
      << r.max_batch_size << "," << r.max_queue_delay_us << "," << m.completed << ","
      << g(m.throughput_rps) << "," << g(r.sim_throughput) << ","
      << g(relative_error(r.sim_throughput, m.throughput_rps)) << "," << g(m.p50_s * 1e3) << ","
      << g(r.sim_p50_ms) << "," << g(relative_error(r.sim_p50_ms, m.p50_s * 1e3)) << ","
      << g(m.p99_s * 1e3) << "," << g(r.sim_p99_ms) << ","
      << g(relative_error(r.sim_p99_ms, m.p99_s * 1e3)) << "," << g(m.batch_mean) << ","
      << g(r.sim_batch_mean) << "," << g(m.preprocess.queue_mean_s * 1e3) << ","
      << g(r.sim_pre_queue_ms) << "," << g(m.preprocess.service_mean_s * 1e3) << ","
      << g(r.sim_pre_service_ms) << "," << g(m.infer.queue_mean_s * 1e3) << ","
      << g(r.sim_inf_queue_ms) << "," << g(m.infer.service_mean_s * 1e3) << ","
      << g(r.sim_inf_service_ms) << "," << g(r.other_load_cores) << "," << g(m.preprocess.cpu_cores)
      << "," << g(m.preprocess.runnable_wait_cores) << "," << g(m.infer.cpu_cores) << ","
      << g(m.infer.runnable_wait_cores) << "," << g(r.preprocess_demand_ratio) << ","
      << g(r.infer_demand_ratio);
    // A rerun that did not happen (no schedstat) leaves its cells empty, not 0.
    const bool md = r.md_throughput > 0;
    o << "," << (md ? g(r.md_throughput) : "") << "," << (md ? g(r.md_p50_ms) : "") << ","
      << (md ? g(r.md_p99_ms) : "") << "," << g(r.sim_pre_wait_cores) << ","
      << g(r.sim_inf_wait_cores) << "," << g(m.client.cpu_cores) << ","
      << g(m.client.runnable_wait_cores) << "," << g(m.frontend.cpu_cores) << ","
      << g(m.frontend.runnable_wait_cores) << "," << g(r.client_demand_ratio) << ","
      << g(r.frontend_demand_ratio);
    for (const CallSpread* c : {&r.preprocess_spread, &r.infer_spread})
      o << "," << c->calls << "," << g(c->cv) << "," << g(c->p99_over_p50) << ","
        << g(c->wall_over_cpu) << "," << g(c->calibrated_cv) << ","
        << g(c->calibrated_p99_over_p50);
    const bool checked = r.checked.throughput > 0;  // empty cells when not checked
    o << "," << g(r.speed.preprocess) << "," << g(r.speed.infer) << ","
      << (checked ? g(r.checked.throughput) : "") << "," << (checked ? g(r.checked.p50_ms) : "")
      << "," << (checked ? g(r.checked.p99_ms) : "");
    for (const std::vector<ValidationRow::Prediction>* list : {&r.ablations, &r.md_ablations})
      for (std::size_t k = 0; k < std::size(kAblations); ++k) {
        if (k >= list->size()) {
          o << ",,,,,";
          continue;
        }
        const ValidationRow::Prediction& a = (*list)[k];
        o << "," << g(a.throughput) << "," << g(a.p50_ms) << "," << g(a.p99_ms) << ","
          << g(a.preprocess_wait_cores) << "," << g(a.infer_wait_cores);
      }
    o << "\n";
  }
  return o.str();
}

std::string calls_csv(const std::vector<ValidationRow>& rows, std::span<const Curve* const> pre,
                      const Curve& infer) {
  std::ostringstream o;
  o << "size,mode,ingest,load,workers,max_batch_size,max_queue_delay_us,stage,end_s,pixels,"
       "bytes,batch,wall_ms,cpu_ms,calibrated_ms\n";
  const auto g = csv_number;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ValidationRow& r = rows[i];
    std::ostringstream key;
    key << r.size << "," << (r.open ? "open" : "closed") << "," << ingest_name(r.ingest) << ","
        << (r.open ? g(r.rate) : std::to_string(r.concurrency)) << "," << r.workers << ","
        << r.max_batch_size << "," << r.max_queue_delay_us;
    for (const bool is_pre : {true, false}) {
      const Curve& curve = is_pre ? *pre[i] : infer;
      for (const KernelCall& c : is_pre ? r.measured.preprocess_calls : r.measured.infer_calls) {
        char t[32];
        std::snprintf(t, sizeof t, "%.6f", c.end_s);  // seconds, to the microsecond
        o << key.str() << "," << (is_pre ? "preprocess" : "infer") << "," << t << "," << g(c.pixels)
          << "," << g(c.bytes) << "," << c.batch << "," << g(c.wall_ns * 1e-6) << ","
          << g(c.cpu_ns * 1e-6) << ","
          << g(curve.mean_ns({static_cast<double>(c.batch), c.pixels, c.bytes}) * 1e-6) << "\n";
      }
    }
  }
  return o.str();
}

std::string validation_plot_script() {
  return "# gnuplot validate.gp: predicted against measured (validate.csv), one point per\n"
         "# configuration; on the diagonal the prediction is exact. Triangles: the prediction "
         "given\n"
         "# the machine's speed right before the run; open circles: the simulation rerun with "
         "each\n"
         "# stage's CPU demand measured during the run (not a prediction). validate-speed.png: "
         "those\n"
         "# ratios, configuration by configuration, in the order they ran.\n"
         "set terminal pngcairo size 1200,420\n"
         "set output 'validate.png'\n"
         "set datafile separator ','\n"
         "set key autotitle columnhead top left Left reverse\n"
         "set multiplot layout 1,3\n"
         "set grid\n"
         "set xlabel 'measured'\n"
         "set ylabel 'simulated'\n"
         "do for [m in 'throughput p50_ms p99_ms'] {\n"
         "  if (m eq 'throughput') { unset logscale; set xtics 100; set ytics 100; set key; set "
         "offsets 0, 0, graph 0.3, 0 } else { set logscale xy; set xtics autofreq; set ytics "
         "autofreq; unset key; set offsets 0, 0, 0, 0 }\n"
         "  set title (m eq 'throughput' ? 'throughput (1/s)' : m eq 'p50_ms' ? "
         "'p50 latency (ms)' : 'p99 latency (ms)')\n"
         "  plot 'validate.csv' using (column('measured_'.m)):(column('predicted_'.m)) with points "
         "pt 7 title 'prediction', '' using (column('measured_'.m)):(column('checked_'.m)) with "
         "points pt 8 lc 'orange' title 'given speed before run', '' using "
         "(column('measured_'.m)):(column('measured_demand_'.m)) with points pt 6 lc 'dark-green' "
         "title 'given measured demand', x with lines lc 'gray' notitle\n"
         "}\n"
         "unset multiplot\n"
         "set terminal pngcairo size 1200,480\n"
         "set output 'validate-speed.png'\n"
         "unset logscale\n"
         "set xtics autofreq\n"
         "set ytics autofreq\n"
         "set key below\n"
         "set title \"the kernels' time over their calibrated time, configuration by configuration "
         "(1: as calibrated)\"\n"
         "set xlabel 'configuration, in the order run'\n"
         "set ylabel 'time now / calibrated'\n"
         "plot 'validate.csv' using 0:'speed_check_preprocess' with linespoints pt 7 lc 'orange' "
         "title 'preprocessing, before the run (isolated)', '' using 0:'speed_check_infer' with "
         "linespoints pt 5 lc 'red' title 'inference, before the run (isolated)', '' using "
         "0:'preprocess_demand_ratio' with points pt 6 lc 'dark-green' title 'preprocessing, "
         "during the run (schedstat)', '' using 0:'infer_demand_ratio' with points pt 4 lc 'blue' "
         "title 'inference, during the run (schedstat)', 1 with lines lc 'gray' notitle\n";
}

}  // namespace servesim::validate
