#pragma once
/// Predicting what a fit did not see: a kernel's curve is fitted on some of its items (image
/// sizes, batch sizes) and compared with the measurements of the others.

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "calib/fit.h"
#include "calib/samples.h"

namespace servesim::calib {

/// Which items are held out: `column=v1,v2,...` with column one of batch, pixels, bytes, width,
/// height, quality, or size (values WxH, e.g. size=500x375,1024x768).
struct HoldoutRule {
  std::string column;
  std::vector<std::string> values;
};

/// Parses "batch=3,24,48"; throws std::invalid_argument with a message for the user.
HoldoutRule parse_holdout_rule(const std::string& text);

/// Whether `s` is one of the held-out items.
bool is_held_out(const Sample& s, const HoldoutRule& rule);

/// The samples of one item (same inputs and descriptors) and what the fit says of them.
struct HoldoutItem {
  CurveArgs x;
  int width = 0, height = 0, quality = 0;
  bool held_out = false;
  std::size_t samples = 0;
  double measured_s = 0;   // median of the item's samples
  double predicted_s = 0;  // the fitted curve's median: mean / sqrt(1 + cv^2) (lognormal noise)
  double error = 0;        // predicted / measured - 1
};

struct HoldoutResult {
  std::string kernel;
  HoldoutRule rule;
  FitReport fit;                   // on the samples not held out
  std::vector<HoldoutItem> items;  // in order of first appearance
  std::size_t fitted_samples = 0, held_samples = 0;
  double median_error = 0;  // of |error| over the held-out items
  double worst_error = 0;   // the largest |error| over them
};

/// Fits `kernel`'s samples that the rule does not hold out (choosing the form as calib fit does,
/// or o.only) and predicts every item. Throws std::invalid_argument when the kernel has no
/// samples, or the rule leaves none to fit or none to predict.
HoldoutResult run_holdout(std::span<const Sample> samples, const std::string& kernel,
                          const HoldoutRule& rule, const FitOptions& o = {});

/// CSV with a row per item of every result:
/// kernel,batch,pixels,bytes,width,height,quality,held_out,samples,measured_s,predicted_s,error
std::string holdout_csv(std::span<const HoldoutResult> results);

/// A table per result: each held-out item's measured and predicted time and error, then the
/// median and worst error (and the fitted items' median for comparison).
std::string holdout_table(const HoldoutResult& r);

/// Each item's error (predicted / measured - 1, fitted and held-out items apart) against the
/// held-out column's input (batch, bytes, or pixels), one panel per result, through gnuplot into
/// `out` (.png or .svg); the script and data go to `out`.plot/.
void holdout_plot(std::span<const HoldoutResult> results, const std::filesystem::path& out);

}  // namespace servesim::calib
