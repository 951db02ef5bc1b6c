#pragma once
/// A WorkOwner for unit tests of resources: it logs which token finished when, in the order the
/// resource called back, so a test can compare the whole timeline with one worked out by hand.

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/cpu_pool.h"

namespace servesim::test {

using Finish = std::vector<std::pair<std::uint64_t, Time>>;  // (token, when)

struct WorkLog final : WorkOwner {
  explicit WorkLog(Simulator& s) : sim(s) {}
  void work_done(std::uint64_t token) override { at.emplace_back(token, sim.now()); }
  Simulator& sim;
  Finish at;
};

}  // namespace servesim::test
