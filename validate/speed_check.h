#pragma once
/// How fast the machine runs the calibrated kernels now against when it was calibrated. A shared
/// machine (a cloud VM beside other tenants) changes speed for minutes at a time: a calibration
/// that fell in a slow stretch predicts every later run too slow (docs/validation.md, rung 4,
/// "The machine's speed before each run"). Before each configuration `servesim validate` times
/// the calibration's own kernels again, in isolation and as the calibration timed them, and
/// predicts the run once more with each stage's curve scaled by what it finds: a prediction
/// still made before the run, from microbenchmarks alone.

#include <span>
#include <string_view>

#include "calib/bench.h"
#include "calib/corpus.h"
#include "calib/samples.h"

namespace servesim::validate {

/// Each stage's kernels' time now over their time in the calibration (0: not checked).
struct SpeedCheck {
  double preprocess = 0, infer = 0;
};

/// The re-timing's plan: the calibration's kernels and items of images of `size` (the same corpus:
/// its content does not depend on the other sizes), timed as the calibration timed them (cache
/// state, steady batches), with no thread scaling and no copies;
/// inference at batches 1 .. max_batch only, in as many passes as take about kInferCheckSeconds
/// (quick: a third) of `kernel`'s calibrated time (its samples in `calibration`), at least 2, so
/// that a kernel's own call-to-call noise (cv 5-10%) averages out; preprocessing in 5 passes
/// (quick: 2). A framework's network (validate.cpp's time_kernels) is timed by calib bench infer's
/// loop instead, one pass of its batches: a pass takes seconds.
calib::BenchPlan speed_check_plan(calib::BenchPlan plan, std::span<const calib::Sample> calibration,
                                  std::string_view kernel, calib::ImageSize size, int max_batch,
                                  bool quick);
inline constexpr double kInferCheckSeconds = 0.3;

/// The ratios from the two runs' samples. Preprocessing: over its kernels (jpeg_decode_cpu and
/// resize_linear_cpu of images of `size`, normalize_chw_cpu), the sum of each kernel's mean item
/// time now over the same sum in the calibration, an item's time being the median of its samples
/// and the means taken over the items both runs timed; so each kernel weighs what it costs a
/// request. Inference: `infer_kernel`'s median time at each batch both timed, summed, now over
/// then. A stage without common samples stays 0.
SpeedCheck speed_ratios(std::span<const calib::Sample> calibration,
                        std::span<const calib::Sample> now, calib::ImageSize size,
                        std::string_view infer_kernel);

}  // namespace servesim::validate
