// A GPU's memory books: reservations under `block` (FIFO, no overtaking) and `spill` (always
// granted, the excess evicted to the host), and residency through admit/evict, which alone
// move a payload in and out.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/gpu.h"

namespace servesim {
namespace {

struct Granted final : WorkOwner {
  void work_done(std::uint64_t token) override { tokens.push_back(token); }
  std::vector<std::uint64_t> tokens;
};

GpuParams memory(double bytes, double reserved, MemoryPolicy policy) {
  GpuParams p;
  p.count = 1;
  p.memory_bytes = bytes;
  p.reserved_bytes = reserved;
  p.memory_policy = policy;
  return p;
}

}  // namespace

TEST_CASE("gpu block: a reservation that does not fit waits until memory is freed", "[unit]") {
  Simulator sim;
  const GpuParams p = memory(1000, 200, MemoryPolicy::kBlock);  // 800 bytes for requests
  Gpu gpu(sim, p);
  Granted g;
  double spilled = -1;
  CHECK(gpu.reserve(500, g, 1, spilled));
  CHECK(spilled == 0);
  CHECK_FALSE(gpu.reserve(400, g, 2, spilled));  // 500 + 400 > 800
  CHECK(gpu.blocked() == 1);
  CHECK(g.tokens.empty());
  gpu.release(500);
  CHECK(g.tokens == std::vector<std::uint64_t>{2});
  CHECK(gpu.memory_used() == 400);
  CHECK(gpu.memory_peak() == 500);
}

TEST_CASE("gpu block: the frameworks' weights and activations are not the requests'", "[unit]") {
  Simulator sim;
  GpuParams p = memory(1000, 200, MemoryPolicy::kBlock);
  p.framework_bytes = 300;  // 500 bytes for requests
  Gpu gpu(sim, p);
  Granted g;
  double spilled = -1;
  CHECK(gpu.reserve(500, g, 1, spilled));
  CHECK_FALSE(gpu.reserve(1, g, 2, spilled));
  gpu.release(500);
  CHECK(g.tokens == std::vector<std::uint64_t>{2});
}

TEST_CASE("gpu block: waiting reservations are granted in order, none overtakes", "[unit]") {
  Simulator sim;
  const GpuParams p = memory(1000, 0, MemoryPolicy::kBlock);
  Gpu gpu(sim, p);
  Granted g;
  double spilled = 0;
  CHECK(gpu.reserve(600, g, 1, spilled));
  CHECK_FALSE(gpu.reserve(700, g, 2, spilled));
  CHECK_FALSE(gpu.reserve(100, g, 3, spilled));  // would fit, but 2 is first in line
  gpu.release(600);                              // 2 fits (700), then 3 (800 in all)
  CHECK(g.tokens == std::vector<std::uint64_t>{2, 3});
  CHECK(gpu.memory_used() == 800);
}

TEST_CASE("gpu block: a tensor larger than the memory still gets an empty GPU", "[unit]") {
  Simulator sim;
  const GpuParams p = memory(1000, 0, MemoryPolicy::kBlock);
  Gpu gpu(sim, p);
  Granted g;
  double spilled = 0;
  CHECK(gpu.reserve(5000, g, 1, spilled));  // or it would wait forever
  CHECK(gpu.memory_peak() == 5000);
}

TEST_CASE("gpu spill: always granted; the excess over the capacity is evicted to the host",
          "[unit]") {
  Simulator sim;
  const GpuParams p = memory(1000, 0, MemoryPolicy::kSpill);
  Gpu gpu(sim, p);
  Granted g;
  double spilled = -1;
  CHECK(gpu.reserve(800, g, 1, spilled));
  CHECK(spilled == 0);
  CHECK(gpu.reserve(500, g, 2, spilled));  // 200 bytes of room: 300 displaced
  CHECK(spilled == 300);
  CHECK(gpu.reserve(100, g, 3, spilled));  // no room: all of it displaces others
  CHECK(spilled == 100);
  CHECK(gpu.spilled_bytes() == 400);
  CHECK(gpu.memory_used() == 1400);  // the books keep every live tensor
  CHECK(g.tokens.empty());
}

TEST_CASE("gpu memory: the time integral of bytes held", "[unit]") {
  Simulator sim;
  const GpuParams p = memory(0, 0, MemoryPolicy::kBlock);  // 0: unlimited
  Gpu gpu(sim, p);
  Granted g;
  double spilled = 0;
  CHECK(gpu.reserve(500, g, 1, spilled));
  sim.run_until(1000);
  CHECK(gpu.reserve(1500, g, 2, spilled));
  sim.run_until(3000);
  gpu.release(2000);
  sim.run_until(4000);
  CHECK(gpu.memory_area(sim.now()) == Approx(500.0 * 1000 + 2000.0 * 2000));
}

TEST_CASE("gpu admit/evict: residency and the reservation move with the payload", "[unit]") {
  Simulator sim;
  const GpuParams p = memory(1000, 0, MemoryPolicy::kBlock);
  Gpu gpu(sim, p, 2);  // GPU 2 of its node
  Granted g;
  double spilled = 0;
  Request r;
  r.gpu_reserved = 700;
  CHECK(gpu.reserve(r.gpu_reserved, g, 1, spilled));
  gpu.admit(r);
  CHECK(r.location == 2);
  CHECK(gpu.resident() == 1);
  CHECK_FALSE(gpu.reserve(600, g, 9, spilled));  // waits for r's memory
  gpu.evict(r);
  CHECK(r.location == kHost);
  CHECK(r.gpu_reserved == 0);
  CHECK(gpu.resident() == 0);
  CHECK(g.tokens == std::vector<std::uint64_t>{9});  // granted from inside the eviction
  CHECK(gpu.memory_used() == 600);
}

TEST_CASE("gpu tensor pool: take refuses what does not fit, reserve queues it in FIFO order",
          "[unit]") {
  Simulator sim;
  GpuParams p = memory(0, 0, MemoryPolicy::kBlock);
  p.pool_bytes = 1000;
  Gpu gpu(sim, p);
  Granted g;
  CHECK(gpu.has_pool());
  CHECK(gpu.pool_take(600));
  CHECK_FALSE(gpu.pool_take(500));  // 400 left: the tensor goes elsewhere, nothing is held
  CHECK(gpu.pool_used() == 600);
  CHECK_FALSE(gpu.pool_reserve(700, g, 1));
  CHECK_FALSE(gpu.pool_reserve(100, g, 2));  // would fit, but 1 is first in line
  CHECK_FALSE(gpu.pool_take(100));           // nor does a take overtake a waiter
  CHECK(gpu.pool_blocked() == 2);
  sim.run_until(1000);
  gpu.pool_release(600);  // 700, then 100
  CHECK(g.tokens == std::vector<std::uint64_t>{1, 2});
  CHECK(gpu.pool_used() == 800);
  CHECK(gpu.pool_peak() == 800);
  sim.run_until(3000);
  CHECK(gpu.pool_area(sim.now()) == Approx(600.0 * 1000 + 800.0 * 2000));
  // A tensor larger than the pool waits until the pool is empty, then gets it.
  CHECK_FALSE(gpu.pool_reserve(5000, g, 3));
  gpu.pool_release(800);
  CHECK(g.tokens.back() == 3);
  CHECK(gpu.pool_used() == 5000);
  // The pool's books are apart from memory's, and eviction frees what the request held in both.
  Request r;
  r.location = 0;
  r.pool_bytes = 5000;
  r.pinned = true;
  gpu.admit(r);
  gpu.evict(r);
  CHECK(gpu.pool_used() == 0);
  CHECK(r.pool_bytes == 0);
  CHECK_FALSE(r.pinned);
  CHECK(gpu.memory_used() == 0);
}

}  // namespace servesim
