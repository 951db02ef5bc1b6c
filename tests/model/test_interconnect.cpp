// The node's PCIe as a tree of links (node.pcie.topology) and host memory as a link shared by
// both directions (node.memory): transfer times worked out by hand, exact to the nanosecond.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/interconnect.h"
#include "tests/model/work_log.h"

namespace servesim {
namespace {

using test::Finish;
using test::WorkLog;

PcieTreeLink tree_link(std::string name, int parent, double bytes_per_s, Time latency) {
  PcieTreeLink t;
  t.name = std::move(name);
  t.parent = parent;
  t.link = {bytes_per_s, latency};
  return t;
}

/// A desktop board: the CPU's x16 root port (51 GB/s) split into slot1 (25.6 GB/s at x16,
/// 12.8 GB/s at x8 once slot2 holds a card) and slot2 (12.8 GB/s); a DMI uplink (16 GB/s) to the
/// chipset with a 4 GB/s slot and a 16 GB/s one. Root ports 1 us, slots 5 us.
PcieParams board(std::vector<int> ports) {
  PcieParams p;
  p.topology = {tree_link("cpu_x16", -1, 51e9, us(1)), tree_link("slot1", 0, 25.6e9, us(5)),
                tree_link("slot2", 0, 12.8e9, us(5)),  tree_link("dmi", -1, 16e9, us(1)),
                tree_link("chipset_a", 3, 4e9, us(5)), tree_link("chipset_b", 3, 16e9, us(5))};
  p.topology[1].narrow_with = 2;
  p.topology[1].narrow_bytes_per_s = 12.8e9;
  p.gpu_ports = std::move(ports);
  return p;
}

std::vector<std::string> names(const Interconnect& ic) {
  std::vector<ResourceInfo> out;
  ic.describe(out);
  std::vector<std::string> n;
  for (const auto& r : out) n.push_back(r.name);
  return n;
}

Time interconnect_finish_of(const Finish& at, std::uint64_t token) {
  for (const auto& [t, when] : at)
    if (t == token) return when;
  return -1;
}

}  // namespace

TEST_CASE("a GPU's route is the chain of links from its port up to a root port", "[unit]") {
  const PcieParams p = board({1, 2, 4});
  CHECK(pcie_chain(p, 0) == std::vector<int>{1, 0});
  CHECK(pcie_chain(p, 1) == std::vector<int>{2, 0});
  CHECK(pcie_chain(p, 2) == std::vector<int>{4, 3});
  CHECK(pcie_route_latency(p, 0) == us(6));
  CHECK(pcie_route_latency(p, 2) == us(6));
  PcieParams flat;
  flat.host_link = {1e9, us(2)};
  flat.gpu_link = {1e9, us(3)};
  CHECK(pcie_route_latency(flat, 0) == us(5));
}

TEST_CASE("a GPU alone in a bifurcated x16 slot gets the slot's whole 25.6 GB/s", "[unit]") {
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, board({1, 2}), gpu, 1);
  // Only the links of GPU 0's route become links: slot2 and the chipset hold no GPU.
  CHECK(names(ic) == std::vector<std::string>{"pcie.cpu_x16_h2d", "pcie.cpu_x16_d2h",
                                              "pcie.slot1_h2d", "pcie.slot1_d2h"});
  WorkLog log(sim);
  // 25.6e6 B at 25.6 B/ns = 1 ms after the route's 1 + 5 us; the other direction is another
  // link (full duplex), so the copy back ends at the same time.
  ic.transfer(0, Direction::kToGpu, 25.6e6, log, 0);
  ic.transfer(0, Direction::kToHost, 25.6e6, log, 1);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, us(6) + ms(1)}, {1, us(6) + ms(1)}});
}

TEST_CASE("two GPUs under a bifurcated x16 each get 12.8 GB/s", "[unit]") {
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, board({1, 2}), gpu, 2);
  WorkLog log(sim);
  // With a card in slot2, slot1 trains at x8: 12.8e6 B takes 1 ms on each, and the root port's
  // 51 GB/s holds both (25.6 GB/s together).
  ic.transfer(0, Direction::kToGpu, 12.8e6, log, 0);
  ic.transfer(1, Direction::kToGpu, 12.8e6, log, 1);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, us(6) + ms(1)}, {1, us(6) + ms(1)}});
  // The lanes are gone even while GPU 1 is idle: GPU 0 alone still gets 12.8 GB/s.
  const Time t0 = sim.now();
  ic.transfer(0, Direction::kToGpu, 12.8e6, log, 2);
  sim.run_until(seconds(2));
  CHECK(interconnect_finish_of(log.at, 2) == t0 + us(6) + ms(1));
}

TEST_CASE("two GPUs behind the chipset's uplink share it max-min fairly", "[unit]") {
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, board({4, 5}), gpu, 2);
  CHECK(names(ic) == std::vector<std::string>{"pcie.dmi_h2d", "pcie.dmi_d2h", "pcie.chipset_a_h2d",
                                              "pcie.chipset_a_d2h", "pcie.chipset_b_h2d",
                                              "pcie.chipset_b_d2h"});
  WorkLog log(sim);
  // GPU 0 is held to 4 B/ns by its slot: 4e6 B in 1 ms. GPU 1 gets the 12 B/ns of the 16 GB/s
  // uplink that GPU 0 leaves: 12e6 B in that ms, then its last 12e6 B at 16 B/ns in 0.75 ms.
  ic.transfer(0, Direction::kToGpu, 4e6, log, 0);
  ic.transfer(1, Direction::kToGpu, 24e6, log, 1);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, us(6) + ms(1)}, {1, us(6) + us(1750)}});
}

TEST_CASE("a tree of one root and a slot per GPU times transfers as host_link and gpu_link do",
          "[unit]") {
  PcieParams flat;
  flat.host_link = {51e9, us(1)};
  flat.gpu_link = {25.6e9, us(5)};
  PcieParams tree;
  tree.topology = {tree_link("root", -1, 51e9, us(1)), tree_link("a", 0, 25.6e9, us(5)),
                   tree_link("b", 0, 25.6e9, us(5))};
  tree.gpu_ports = {1, 2};
  auto run = [](const PcieParams& p) {
    Simulator sim;
    GpuParams gpu;
    gpu.h2d_engines = 2;
    Interconnect ic(sim, p, gpu, 2);
    WorkLog log(sim);
    for (std::uint64_t i = 0; i < 40; ++i) {
      sim.run_until(static_cast<Time>(i) * us(70));
      const double bytes = 1e5 * static_cast<double>(1 + (i * 37) % 11);
      ic.transfer(static_cast<int>(i % 2), i % 3 == 0 ? Direction::kToHost : Direction::kToGpu,
                  bytes, log, i);
    }
    sim.run_until(seconds(1));
    return log.at;
  };
  const Finish a = run(flat);
  CHECK(a.size() == 40);
  CHECK(run(tree) == a);
}

TEST_CASE("host memory bounds a DMA, and both directions share it", "[unit]") {
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, board({1}), gpu, 1, MemoryParams{16e9});
  CHECK(ic.has_memory());
  CHECK(names(ic).back() == "memory");
  WorkLog log(sim);
  // 16 GB/s of memory under a 25.6 GB/s slot: 16e6 B in 1 ms after the 6 us latency.
  ic.transfer(0, Direction::kToGpu, 16e6, log, 0);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, us(6) + ms(1)}});
  // A copy in and a copy out at once: PCIe is duplex but the DRAM bus is not, 8 B/ns each.
  const Time t0 = sim.now();
  ic.transfer(0, Direction::kToGpu, 16e6, log, 1);
  ic.transfer(0, Direction::kToHost, 16e6, log, 2);
  sim.run_until(seconds(2));
  CHECK(interconnect_finish_of(log.at, 1) == t0 + us(6) + ms(2));
  CHECK(interconnect_finish_of(log.at, 2) == t0 + us(6) + ms(2));
}

TEST_CASE("memory flows share the memory link in proportion to their weights", "[unit]") {
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, PcieParams{}, gpu, 0, MemoryParams{60e9});
  CHECK(names(ic) == std::vector<std::string>{"memory"});  // no GPU, yet a memory link
  WorkLog log(sim);
  // Fair rate 60 / (2 + 1) = 20 B/ns each; the weight-2 copy puts 40 B/ns on the link. It ends
  // at 1 ms (20e6 B); the other has 20e6 B left, alone at 60 B/ns: 333,333.3 ns, rounded up.
  ic.memory_flow(20e6, 2.0, log, 0);
  ic.memory_flow(40e6, 1.0, log, 1);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, ms(1)}, {1, ms(1) + 333'334}});
  // The link was full all along: 1 ms at (40 + 20) / 60, then 333,334 ns at 60 / 60.
  std::vector<double> area;
  ic.busy_areas(sim.now(), area);
  CHECK(area == std::vector<double>{1'333'334.0});
}

TEST_CASE("a weighted memory copy and a DMA share the memory link", "[unit]") {
  PcieParams p;
  p.topology = {tree_link("root", -1, 51e9, 0), tree_link("slot", 0, 25.6e9, 0)};
  p.gpu_ports = {1};
  Simulator sim;
  const GpuParams gpu;
  Interconnect ic(sim, p, gpu, 1, MemoryParams{30e9});
  WorkLog log(sim);
  // On the 30 GB/s memory link the DMA (weight 1) and a loopback copy (weight 2) each get
  // 30 / 3 = 10 B/ns, below the slot's 25.6: the DMA's 10e6 B end at 1 ms. The copy has moved
  // 10e6 of its 20e6 B by then, and moves the rest alone at 30 / 2 = 15 B/ns: 666,666.7 ns.
  ic.transfer(0, Direction::kToGpu, 10e6, log, 0);
  ic.memory_flow(20e6, 2.0, log, 1);
  sim.run_until(seconds(1));
  CHECK(log.at == Finish{{0, ms(1)}, {1, ms(1) + 666'667}});
}

}  // namespace servesim
