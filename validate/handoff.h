#pragma once
/// Thread wake-up latency: how long after one thread hands work to another that sleeps waiting
/// for it (a mutex and a condition variable, as the real pipeline of validate/pipeline.h hands
/// requests over) the other runs. The simulator's `node.cpu.wakeup`.

#include <vector>

namespace servesim::validate {

/// Two threads play ping-pong: each works `work_s` seconds (spinning), then hands the turn to
/// the other, which has been asleep on its own condition variable since it last handed over, and
/// goes to sleep on its own. Each side has its own mutex, as each queue of the pipeline has.
/// Returns `n` hand-off latencies in seconds, in the order measured: from the moment the turn is
/// handed over (under the sleeper's mutex, before it is notified) to the moment the sleeper runs
/// again with its mutex released.
std::vector<double> measure_handoffs(int n, double work_s);

}  // namespace servesim::validate
