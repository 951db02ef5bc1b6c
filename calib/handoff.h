#pragma once
/// Thread wake-up latency: how long after one thread hands work to another that sleeps waiting
/// for it (a mutex and a condition variable, as the real pipeline of calib/pipeline.h hands
/// requests over) the other runs. The simulator's `node.cpu.wakeup`.

#include <vector>

namespace servesim::calib {

/// Two threads play ping-pong: each works `work_s` seconds (spinning), then hands the turn to
/// the other, which has been asleep on its condition variable since it last handed over, and
/// waits for it to come back. Returns `n` hand-off latencies in seconds, from the moment the
/// turn is handed over (before the mutex is released and the sleeper notified) to the moment
/// the sleeper has the mutex again and reads the clock, in the order measured.
std::vector<double> measure_handoffs(int n, double work_s);

}  // namespace servesim::calib
