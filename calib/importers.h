#pragma once
/// Importers: measurements from the tools users already run, turned into calib samples (the one
/// format `calib fit` reads), so that a GPU's curves come from the GPU.

#include <filesystem>
#include <string>
#include <vector>

#include "calib/samples.h"

namespace servesim::calib {

struct TrtexecImport {
  std::string name;         // curve name prefix: NAME_infer, NAME_h2d, NAME_d2h
  int batch = 1;            // the batch of the engine's input shape (trtexec --shapes)
  double input_bytes = 0;   // bytes of one batch's input (0: no H2D samples)
  double output_bytes = 0;  // bytes of one batch's output (0: no D2H samples)
};

/// Samples from trtexec's --exportTimes JSON: a list with one object per inference, with
/// "computeMs", "h2dMs", "d2hMs" (TensorRT 8 and later) or "computeMs", "inMs", "outMs" (7.x).
/// Each inference gives NAME_infer (batch, computeMs), and NAME_h2d / NAME_d2h (bytes, the copy
/// time) when those sizes are given. Other keys are ignored. Mistakes are ConfigError at
/// file:line:col.
std::vector<Sample> import_trtexec(const std::filesystem::path& file, const TrtexecImport& how);

}  // namespace servesim::calib
