// `mpirun -n N servesim sweep ...`: the points shared out by rank 0, which also simulates with its
// own -j threads and writes the files exactly as a single-process sweep does (journal, --resume,
// CSV and JSON lines in point order); ranks 1..N-1 simulate with -j threads each.
//
// Messages, all with rank 0: a worker thread asks for a point with kAsk, carrying the result line
// of the point it just finished (empty at first); rank 0 answers kPoint with the next point, or
// kStop. A worker rank ends with kDone, carrying the error that stopped it (empty if none) as
// JSON: {"error": what} and, when a point failed, its "point".
#include "sim/run/sweep_mpi.h"

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace servesim {

namespace {

namespace mpi = boost::mpi;

enum Tag : int { kAsk = 1, kPoint = 2, kDone = 3 };
constexpr std::size_t kStop = std::numeric_limits<std::size_t>::max();

/// Rank 0's main thread: answers every ask until every other rank is done. Without a hub (rank 0
/// failed before the sweep began), every ask is told to stop, so no rank waits forever.
void serve(const mpi::communicator& world, SweepHub* hub) {
  // Naps between probes, not a blocking receive: OpenMPI's receive spins on a core that rank 0's
  // own threads are simulating on. Short naps while asks come in, longer ones when none do.
  constexpr std::chrono::microseconds kShortNap{50}, kLongNap{1000};
  auto nap = kShortNap;
  for (int running = world.size() - 1; running > 0;) {
    const auto status = world.iprobe(mpi::any_source, mpi::any_tag);
    if (!status) {
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, kLongNap);
      continue;
    }
    nap = kShortNap;
    std::string text;
    world.recv(status->source(), status->tag(), text);
    if (status->tag() == kDone) {
      --running;
      if (hub && !text.empty()) {
        const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        const std::string what = "rank " + std::to_string(status->source()) + ": " +
                                 (j.is_object() ? j.value("error", text) : text);
        if (j.is_object() && j.contains("point") && j["point"].is_number_unsigned())
          hub->fail_point(j["point"].get<std::size_t>(), what);
        else
          hub->fail(std::make_exception_ptr(std::runtime_error(what)));
      }
      continue;
    }
    std::size_t next = kStop;
    if (hub) {
      try {
        if (!text.empty()) hub->record(text);
        next = hub->take().value_or(kStop);
      } catch (...) {
        hub->fail(std::current_exception());
      }
    }
    world.send(status->source(), kPoint, next);
  }
}

/// kDone's text for an error: {"error": what, "point": the point that failed, if one did}. Bytes
/// that are not UTF-8 (a file name in the message) are replaced rather than thrown over.
std::string done_message(const std::string& what, std::optional<std::size_t> point) {
  nlohmann::json j{{"error", what}};
  if (point) j["point"] = *point;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// A rank other than 0: `threads` threads, each asking rank 0 for a point, simulating it and
/// sending its result with the next ask. Returns the error that stopped it, if any.
std::string work(const mpi::communicator& world, const SweepOptions& o, int threads) {
  std::string error;
  try {
    const SweepPoints points(o);
    std::mutex mu;  // one thread at a time talks to rank 0 (MPI_THREAD_SERIALIZED)
    std::atomic<bool> failed{false};
    auto thread = [&] {
      std::string line;
      for (;;) {
        std::size_t next = kStop;
        {
          std::lock_guard lock(mu);
          world.send(0, kAsk, line);
          world.recv(0, kPoint, next);
        }
        if (next == kStop || failed) return;
        try {
          line = points.simulate(next);
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          if (!failed.exchange(true)) error = done_message(e.what(), next);
          return;
        }
      }
    };
    const auto asked = static_cast<std::size_t>(std::max(threads, 1));
    WorkerThreads pool = start_workers(asked - 1, thread);
    std::ostringstream warning;
    warn_threads(pool, asked, 1, warning);
    if (!warning.str().empty()) std::cerr << "rank " << world.rank() << ": " << warning.str();
    thread();
    pool.join();
  } catch (const std::exception& e) {  // a bad first point; rank 0 meets it too, or reports this
    error = done_message(e.what(), std::nullopt);
  }
  return error;
}

}  // namespace

std::size_t run_sweep_mpi(const SweepOptions& o, std::ostream& err) {
  // Errors are reported by rank 0 after every rank has stopped, not by aborting the job.
  const mpi::environment env(mpi::threading::serialized, /*abort_on_exception=*/false);
  const mpi::communicator world;
  if (world.rank() != 0) {
    const bool serialized = mpi::environment::thread_level() >= mpi::threading::serialized;
    world.send(0, kDone, work(world, o, serialized ? std::max(o.jobs, 1) : 1));
    return 0;
  }
  bool served = false;
  try {
    return run_sweep_served(o, err, [&](SweepHub& hub) {
      served = true;
      serve(world, &hub);
    });
  } catch (...) {
    if (!served) serve(world, nullptr);  // let the other ranks stop before this one reports
    throw;
  }
}

}  // namespace servesim
