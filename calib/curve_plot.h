#pragma once
/// Looking at a fit: a kernel's timed samples beside its fitted curve, as a picture.

#include <filesystem>
#include <span>

#include "calib/samples.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

/// One panel per curve of `curves` that has samples of the same kernel name: every sample's
/// time against the curve's first input (batch for a constant), log-log, and the curve's mean
/// (a line for a one-input curve; at each sample's inputs for a multi-input one), through
/// gnuplot into `out` (.png or .svg; script and data in `out`.plot/). Returns the panels drawn;
/// throws std::invalid_argument when no curve has samples.
int plot_curves(const CurveSet& curves, std::span<const Sample> samples,
                const std::filesystem::path& out);

}  // namespace servesim::calib
