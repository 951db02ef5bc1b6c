#pragma once
/// A sweep shared by the ranks of an `mpirun` launch: rank 0 hands out points and writes the
/// files, the other ranks simulate points and send back each one's result line.

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/worker_threads.h"
#include "sim/run/sweep.h"

namespace servesim {

/// Rank 0's sweep as its coordinator sees it. Thread-safe: rank 0's own -j threads use it too.
class SweepHub {
 public:
  /// The next point to simulate; nullopt once none is left or the sweep has failed.
  virtual std::optional<std::size_t> take() = 0;
  /// Records a point simulated by another process, given its line (SweepPoints::simulate's).
  virtual void record(const std::string& line) = 0;
  /// Fails the sweep: no more points are handed out, and run_sweep_served rethrows `e`.
  virtual void fail(std::exception_ptr e) = 0;
  /// Fails the sweep at a point another process could not simulate, which said `what`. If the
  /// point's config is bad, the error is the ConfigError a sweep in one process gives.
  virtual void fail_point(std::size_t point, const std::string& what) = 0;

 protected:
  ~SweepHub() = default;
};

/// run_sweep with other processes helping: `serve` runs on the calling thread, beside -j threads
/// simulating points here, and returns once the other processes have stopped.
std::size_t run_sweep_served(const SweepOptions& o, std::ostream& err,
                             const std::function<void(SweepHub&)>& serve);

/// Every point of a sweep, parsed: what a process needs to simulate points for rank 0.
class SweepPoints {
 public:
  explicit SweepPoints(const SweepOptions& o);  // throws ConfigError for a bad point
  ~SweepPoints();
  /// Point i's result line: the same bytes run_sweep journals for it. Thread-safe.
  std::string simulate(std::size_t i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Says on `warn` when the system gave `pool` fewer threads than the `asked` (counting the
/// `others`, 0 or 1: the caller, that simulate too); the sweep goes on with those it has.
void warn_threads(const WorkerThreads& pool, std::size_t asked, std::size_t others,
                  std::ostream& warn);

#ifdef SERVESIM_MPI
/// run_sweep on every rank of an mpirun launch (sweep_mpi.cpp). Returns, on rank 0, the number of
/// points simulated now by all ranks; 0 on the others, which print nothing and leave reporting an
/// error to rank 0.
std::size_t run_sweep_mpi(const SweepOptions& o, std::ostream& err);
#endif

}  // namespace servesim
