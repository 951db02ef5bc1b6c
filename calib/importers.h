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

struct PerfAnalyzerImport {
  std::string name;        // curve name prefix: NAME_compute_input, _compute_infer, _compute_output
  int batch = 1;           // perf_analyzer -b: the batch of each request
  double input_bytes = 0;  // bytes of one request's inputs (the compute-input samples' bytes)
  double output_bytes = 0;  // bytes of one request's outputs
};

/// One row of a perf_analyzer CSV as the import summary shows it: the load, and what the server
/// spent queueing (which servesim simulates rather than imports).
struct PerfAnalyzerRow {
  std::string load;  // "Concurrency 8", "Request Rate 200", or "row N"
  double inferences_per_second = 0;
  double queue_s = 0;
  int line = 0;
};

struct PerfAnalyzerSamples {
  std::vector<Sample> samples;
  std::vector<PerfAnalyzerRow> rows;
};

/// Samples from perf_analyzer's CSV (`perf_analyzer -f FILE`, also with --verbose-csv): a header
/// naming the columns, then a row per load level with times in microseconds. Each row's "Server
/// Compute Input", "Server Compute Infer" and "Server Compute Output" (Triton's per-request
/// averages over the measurement window) become one NAME_compute_input, NAME_compute_infer and
/// NAME_compute_output sample at batch `how.batch` (a zero time, nothing measured, gives none).
/// "Server Queue" is kept per row, not made a sample: queueing is what servesim simulates.
/// Columns other than these and the load are ignored. Mistakes are ConfigError at file:line:col.
PerfAnalyzerSamples import_perf_analyzer(const std::filesystem::path& file,
                                         const PerfAnalyzerImport& how);

}  // namespace servesim::calib
