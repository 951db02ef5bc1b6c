/// The bare-loop baseline of tests/bench/mm4_baselines.sh: the M/M/4 of tests/bench/mm4.yaml as a
/// hand-written event loop with nothing generic in it. A std::priority_queue of (time, sequence,
/// kind, arrival time) events, std::mt19937_64 with std::exponential_distribution, a FIFO of
/// waiting customers' arrival times, and per completed customer the bookkeeping a simulator
/// does: a count, a sojourn sum and a log-bucket histogram. Replications run one after another,
/// each with its own seed; customers that finish after the warm-up and before the end of the
/// replication are counted, as servesim's `completed` counts them.
///
///   mm4_bare [--rate 90] [--servers 4] [--mean-service 0.04] [--duration 2000] [--warmup 100]
///            [--replications 10] [--seed 7]
///
/// Prints one JSON line (see mm4_common.h).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <vector>

#include "mm4_common.h"

namespace {

struct Event {
  double time;
  std::uint64_t seq;  // ties in time go in scheduling order
  double arrived;     // for a departure: when its customer arrived
  bool departure;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

mm4::Replication replicate(const mm4::Options& o, std::uint64_t seed, mm4::LogHistogram& hist) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> interarrival(o.rate);
  std::exponential_distribution<double> service(1.0 / o.mean_service);
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::deque<double> waiting;
  std::uint64_t seq = 0;
  int busy = 0;
  mm4::Replication rep;

  events.push({interarrival(rng), seq++, 0.0, false});
  while (!events.empty()) {
    const Event e = events.top();
    if (e.time >= o.duration) break;
    events.pop();
    if (!e.departure) {
      events.push({e.time + interarrival(rng), seq++, 0.0, false});
      if (busy < o.servers) {
        ++busy;
        events.push({e.time + service(rng), seq++, e.time, true});
      } else {
        waiting.push_back(e.time);
      }
      continue;
    }
    if (e.time >= o.warmup) {
      const double sojourn = e.time - e.arrived;
      ++rep.completed;
      rep.sojourn_sum += sojourn;
      hist.add(sojourn);
    }
    if (waiting.empty()) {
      --busy;
    } else {
      events.push({e.time + service(rng), seq++, waiting.front(), true});
      waiting.pop_front();
    }
  }
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  const mm4::Options o = mm4::parse_options(argc, argv, "mm4_bare");
  mm4::LogHistogram hist;
  std::vector<mm4::Replication> reps;
  reps.reserve(static_cast<std::size_t>(o.replications));
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < o.replications; ++r)
    reps.push_back(replicate(o, o.seed * 1000 + static_cast<std::uint64_t>(r), hist));
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
  mm4::print_result("bare", o, reps, hist, wall.count());
  return 0;
}
