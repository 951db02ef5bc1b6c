#pragma once
/// `servesim sweep`: a scenario run at every point of a grid of --set values, in parallel, with
/// results journalled as each point finishes so that a killed sweep resumes where it stopped.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/tree.h"
#include "sim/run/grid.h"

namespace servesim {

struct SweepOptions {
  std::filesystem::path scenario;  // empty: the built-in default
  /// Instead of `scenario`: one composed from the catalog (sweep --hardware), before --set.
  std::optional<ConfigNode> composed;
  std::vector<std::string> sets;  // --set, applied before each point's grid values
  std::vector<GridAxis> grid;     // first axis outermost
  std::filesystem::path out;      // CSV; JSON lines beside it (.jsonl)
  int jobs = 1;
  int uncertainty = 0;       // run --uncertainty N at every point (docs/outputs.md); 0: none
  bool verbose_csv = false;  // perf_analyzer's --verbose-csv layout (docs/outputs.md)
  bool resume = false;
  bool progress = true;
};

/// Runs the sweep; returns the number of points simulated now (not counting resumed ones).
/// Throws ConfigError for bad input, std::runtime_error for I/O failures.
std::size_t run_sweep(const SweepOptions& o, std::ostream& err);

/// Every point's result line, in point order, simulated on `o.jobs` threads without writing
/// anything (out, resume and progress are not read): the lines run_sweep journals, the same bytes
/// whatever the threads. Of several failing points, the first in grid order's error is thrown
/// (ConfigError for bad input), as run_sweep does.
std::vector<std::string> sweep_lines(const SweepOptions& o);

/// The warning a sweep prints on stderr once its first `measured` points have finished in
/// `elapsed_s` seconds, if the `left` points still to simulate would take more than 10 minutes
/// at that pace (`points` is the grid's size); empty otherwise.
std::string long_sweep_warning(std::size_t points, std::size_t measured, std::size_t left,
                               double elapsed_s);

/// 64-bit FNV-1a: the fingerprints in a sweep's journal header, the same on every machine.
std::uint64_t fnv1a64(std::string_view bytes);

/// The JSON-lines file that goes with a sweep's CSV: results.csv -> results.jsonl.
std::filesystem::path jsonl_path(const std::filesystem::path& csv);

/// Where this process stands in an `mpirun` launch (OpenMPI), read from the environment mpirun
/// sets, without initialising MPI: rank 0 of 1 when it was not started by mpirun. Under mpirun
/// with more than one rank, run_sweep shares the points between the ranks (sweep_mpi.h).
struct MpiLaunch {
  int rank = 0;
  int size = 1;
};
MpiLaunch mpi_launch();

}  // namespace servesim
