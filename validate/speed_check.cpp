#include "validate/speed_check.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace servesim::validate {

calib::BenchPlan speed_check_plan(calib::BenchPlan p, std::span<const calib::Sample> calibration,
                                  std::string_view kernel, calib::ImageSize size, int max_batch,
                                  bool quick) {
  p.sizes = {size};
  p.scaling_passes = 0;
  p.copy_bytes.clear();
  p.batches.clear();
  for (int b = 1; b <= max_batch; ++b) p.batches.push_back(b);
  p.warmup = 1;
  p.repeats = quick ? 2 : 5;
  // One pass: the calibrated median at each batch, summed.
  double pass_s = 0;
  for (const int b : p.batches) {
    std::vector<double> t;
    for (const calib::Sample& s : calibration)
      if (s.kernel == kernel && s.batch == b) t.push_back(s.seconds);
    if (!t.empty()) pass_s += calib::median(std::move(t));
  }
  const double target = quick ? kInferCheckSeconds / 3 : kInferCheckSeconds;
  p.inference_repeats =
      pass_s > 0 ? static_cast<int>(std::clamp(std::ceil(target / pass_s), 2.0, 1000.0)) : 2;
  p.progress = false;
  return p;
}

namespace {

/// An item of a kernel: what a sample was given.
using Item = std::tuple<double, double, double, int, int, int>;  // batch, pixels, bytes, w, h, q

Item item_of(const calib::Sample& s) {
  return {s.batch, s.pixels, s.bytes, s.width, s.height, s.quality};
}

/// Each item's median time, of the samples of `kernel` that `keep` accepts.
template <class Keep>
std::map<Item, double> medians(std::span<const calib::Sample> samples, std::string_view kernel,
                               Keep keep) {
  std::map<Item, std::vector<double>> by;
  for (const calib::Sample& s : samples)
    if (s.kernel == kernel && keep(s)) by[item_of(s)].push_back(s.seconds);
  std::map<Item, double> out;
  for (auto& [item, t] : by) out[item] = calib::median(std::move(t));
  return out;
}

/// The mean over the items both runs timed of each run's item times: {then, now}; {0, 0} when none.
std::pair<double, double> common_means(const std::map<Item, double>& then,
                                       const std::map<Item, double>& now) {
  double a = 0, b = 0;
  int n = 0;
  for (const auto& [item, t] : now)
    if (const auto it = then.find(item); it != then.end()) {
      a += it->second;
      b += t;
      ++n;
    }
  return n ? std::pair{a / n, b / n} : std::pair{0.0, 0.0};
}

}  // namespace

SpeedCheck speed_ratios(std::span<const calib::Sample> calibration,
                        std::span<const calib::Sample> now, calib::ImageSize size,
                        std::string_view infer_kernel) {
  SpeedCheck c;
  const auto of_size = [size](const calib::Sample& s) {
    return s.width == size.width && s.height == size.height;
  };
  const auto any = [](const calib::Sample&) { return true; };
  double then_sum = 0, now_sum = 0;
  for (const auto& [kernel, size_only] :
       {std::pair{"jpeg_decode_cpu", true}, std::pair{"resize_linear_cpu", true},
        std::pair{"normalize_chw_cpu", false}}) {
    const auto [a, b] =
        size_only
            ? common_means(medians(calibration, kernel, of_size), medians(now, kernel, of_size))
            : common_means(medians(calibration, kernel, any), medians(now, kernel, any));
    then_sum += a;
    now_sum += b;
  }
  if (then_sum > 0) c.preprocess = now_sum / then_sum;
  double then_inf = 0, now_inf = 0;
  const std::map<Item, double> inf_then = medians(calibration, infer_kernel, any);
  for (const auto& [item, t] : medians(now, infer_kernel, any))
    if (const auto it = inf_then.find(item); it != inf_then.end()) {
      then_inf += it->second;
      now_inf += t;
    }
  if (then_inf > 0) c.infer = now_inf / then_inf;
  return c;
}

}  // namespace servesim::validate
