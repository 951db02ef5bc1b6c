// The PCIe flow network: transfer times under max-min fair sharing, worked out by hand, and the
// conservation of bytes and of link utilisation with many concurrent flows.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/flow_network.h"

namespace servesim {
namespace {

constexpr double kGB = 1e9;  // bytes per second of 1 GB/s, i.e. one byte per ns

struct Recorder final : WorkOwner {
  explicit Recorder(Simulator& s) : sim(s) {}
  void work_done(std::uint64_t token) override { done.emplace_back(token, sim.now()); }
  Simulator& sim;
  std::vector<std::pair<std::uint64_t, Time>> done;
};

Time finish_of(const Recorder& rec, std::uint64_t token) {
  for (const auto& [t, at] : rec.done)
    if (t == token) return at;
  return -1;
}

/// A 32 GB/s host link shared by GPU 0 behind an 8 GB/s link and GPU 1 behind a 32 GB/s one.
struct TwoGpus {
  Simulator sim;
  FlowNetwork net{sim};
  FlowNetwork::LinkId host = net.add_link("host", 32 * kGB, 0);
  FlowNetwork::LinkId gpu0 = net.add_link("gpu0", 8 * kGB, 0);
  FlowNetwork::LinkId gpu1 = net.add_link("gpu1", 32 * kGB, 0);
  FlowNetwork::RouteId r0 = net.add_route({host, gpu0});
  FlowNetwork::RouteId r1 = net.add_route({host, gpu1});
  Recorder rec{sim};
};

/// The parking lot: route a on link A (10 GB/s), route c on link B (4 GB/s), route b across both.
struct ParkingLot {
  Simulator sim;
  FlowNetwork net{sim};
  FlowNetwork::LinkId la = net.add_link("A", 10 * kGB, 0);
  FlowNetwork::LinkId lb = net.add_link("B", 4 * kGB, 0);
  FlowNetwork::RouteId a = net.add_route({la});
  FlowNetwork::RouteId b = net.add_route({la, lb});
  FlowNetwork::RouteId c = net.add_route({lb});
  Recorder rec{sim};
};

/// A memory link crossed by two GPUs' routes, each also over a link of its own.
struct MemoryAndTwoGpus {
  MemoryAndTwoGpus(double memory_gbps, double gpu0_gbps, double gpu1_gbps)
      : mem(net.add_link("memory", memory_gbps * kGB, 0)),
        r0(net.add_route({mem, net.add_link("gpu0", gpu0_gbps * kGB, 0)})),
        r1(net.add_route({mem, net.add_link("gpu1", gpu1_gbps * kGB, 0)})) {}
  Simulator sim;
  FlowNetwork net{sim};
  FlowNetwork::LinkId mem;
  FlowNetwork::RouteId r0, r1;
  Recorder rec{sim};
};

}  // namespace

TEST_CASE("a lone transfer takes the route latency plus bytes over bandwidth, rounded up",
          "[unit]") {
  Simulator sim;
  FlowNetwork net(sim);
  const auto link = net.add_link("x", 3 * kGB, us(5));
  const auto route = net.add_route({link});
  Recorder rec(sim);
  net.start(route, 1e6, rec, 7);
  sim.run_until(seconds(1));
  REQUIRE(rec.done.size() == 1);
  CHECK(rec.done[0].first == 7);
  CHECK(rec.done[0].second == us(5) + 333'334);  // 1e6 / 3 = 333333.3 ns

  // Over two links the latencies add and the slower link sets the pace.
  const auto host = net.add_link("host", 32 * kGB, us(1));
  const auto gpu = net.add_link("gpu", 16 * kGB, us(2));
  const auto both = net.add_route({host, gpu});
  CHECK(net.route_latency(both) == us(3));
  const Time t0 = sim.now();
  net.start(both, 1e6, rec, 8);
  sim.run_until(seconds(2));
  CHECK(finish_of(rec, 8) == t0 + us(3) + 62'500);
}

TEST_CASE("two simultaneous flows on one link each get half and finish together", "[unit]") {
  Simulator sim;
  FlowNetwork net(sim);
  const auto link = net.add_link("x", 1 * kGB, us(1));
  const auto route = net.add_route({link});
  Recorder rec(sim);
  net.start(route, 1e6, rec, 1);
  net.start(route, 1e6, rec, 2);
  sim.run_until(us(1));  // both are now transferring
  CHECK(net.active_flows(route) == 2);
  CHECK(net.flow_rate(route) == 0.5 * kGB);
  sim.run_until(seconds(1));
  REQUIRE(rec.done.size() == 2);
  CHECK(rec.done[0] == std::pair<std::uint64_t, Time>{1, us(1) + 2'000'000});  // start order
  CHECK(rec.done[1] == std::pair<std::uint64_t, Time>{2, us(1) + 2'000'000});
  CHECK(net.active_flows(route) == 0);
  CHECK(net.flow_rate(route) == 0.0);
}

TEST_CASE("a flow held back by its own slow link leaves the rest of the host link to the other",
          "[unit]") {
  TwoGpus t;
  auto& [sim, net, host, gpu0, gpu1, r0, r1, rec] = t;
  net.start(r0, 8e6, rec, 0);   // 8 B/ns for 1 ms
  net.start(r1, 24e6, rec, 1);  // the 24 B/ns left over, for 1 ms
  CHECK(net.flow_rate(r0) == 8 * kGB);
  CHECK(net.flow_rate(r1) == 24 * kGB);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 0) == ms(1));
  CHECK(finish_of(rec, 1) == ms(1));
}

TEST_CASE("max-min sharing gives the leftover of a shared bottleneck to the unconstrained route",
          "[unit]") {
  // Parking lot: route b crosses both links; link B (4 B/ns) is split between b and c, and a
  // takes what b leaves of link A (10 B/ns).
  ParkingLot p;
  auto& [sim, net, la, lb, a, b, c, rec] = p;
  net.start(a, 1e9, rec, 0);
  net.start(b, 1e9, rec, 1);
  net.start(c, 1e9, rec, 2);
  net.start(c, 1e9, rec, 3);
  // B: three flows share 4 -> 4/3 each; A: a gets 10 - 4/3.
  CHECK(net.flow_rate(b) == Approx(4.0 / 3.0 * kGB));
  CHECK(net.flow_rate(c) == Approx(4.0 / 3.0 * kGB));
  CHECK(net.flow_rate(a) == Approx((10.0 - 4.0 / 3.0) * kGB));
}

TEST_CASE("when one flow ends the other speeds up to the whole link", "[unit]") {
  Simulator sim;
  FlowNetwork net(sim);
  const auto link = net.add_link("x", 1 * kGB, 0);
  const auto route = net.add_route({link});
  Recorder rec(sim);
  // A: 1e6 bytes at 0.5 B/ns ends at 2 ms; B has then moved 1e6 of its 3e6 and does the
  // remaining 2e6 alone at 1 B/ns, ending at 4 ms.
  net.start(route, 1e6, rec, 0);
  net.start(route, 3e6, rec, 1);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 0) == ms(2));
  CHECK(finish_of(rec, 1) == ms(4));

  // A later arrival: C (2e6) runs alone for 1 ms, then shares with D (0.5e6) at 0.5 B/ns, so D
  // ends 1 ms after it starts; C then has 0.5e6 left at full speed.
  const Time t0 = sim.now();
  net.start(route, 2e6, rec, 2);
  sim.run_until(t0 + ms(1));
  net.start(route, 0.5e6, rec, 3);
  sim.run_until(seconds(2));
  CHECK(finish_of(rec, 3) == t0 + ms(2));
  CHECK(finish_of(rec, 2) == t0 + us(2500));

  // Across routes: in the host/gpu example, once the 8 B/ns flow ends the other gets all 32.
  const auto host = net.add_link("host", 32 * kGB, us(1));
  const auto gpu0 = net.add_link("gpu0", 8 * kGB, us(1));
  const auto gpu1 = net.add_link("gpu1", 32 * kGB, us(1));
  const auto r0 = net.add_route({host, gpu0});
  const auto r1 = net.add_route({host, gpu1});
  const Time t1 = sim.now();
  net.start(r0, 8e6, rec, 4);   // 1 ms at 8 B/ns
  net.start(r1, 48e6, rec, 5);  // 24e6 in that 1 ms at 24 B/ns, then 24e6 at 32 B/ns: 0.75 ms
  sim.run_until(seconds(3));
  CHECK(finish_of(rec, 4) == t1 + us(2) + ms(1));
  CHECK(finish_of(rec, 5) == t1 + us(2) + us(1750));
}

TEST_CASE("a link's fair rate is what it has left over the summed weights of its flows", "[unit]") {
  // A 60 GB/s link crossed with weight 2 (a copy through memory: read and write) and weight 1:
  // each flow moves 60 / 3 = 20 B/ns, the first putting 40 B/ns on the link.
  Simulator sim;
  FlowNetwork net(sim);
  const auto link = net.add_link("memory", 60 * kGB, 0);
  const auto twice = net.add_weighted_route({{link, 2.0}});
  const auto once = net.add_weighted_route({{link, 1.0}});
  Recorder rec(sim);
  net.start(twice, 20e6, rec, 0);
  net.start(once, 40e6, rec, 1);
  CHECK(net.flow_rate(twice) == 20 * kGB);
  CHECK(net.flow_rate(once) == 20 * kGB);
  sim.run_until(seconds(1));
  // The first ends at 1 ms; the second's last 20e6 B go alone at 60 B/ns: 333,333.3 ns.
  CHECK(finish_of(rec, 0) == ms(1));
  CHECK(finish_of(rec, 1) == ms(1) + 333'334);
  CHECK(net.bytes_carried(link) == 2 * 20e6 + 40e6);  // bytes on the link, not bytes moved
  CHECK(net.utilization_area(link, sim.now()) == static_cast<double>(ms(1) + 333'334));
}

TEST_CASE("weights change how max-min sharing splits the links", "[unit]") {
  // The parking lot again, with route b crossing A twice over (weight 2): B (4 B/ns) is the
  // tighter link, 4 / 2 = 2 B/ns each for b and c, against A's 10 / (1 + 2) = 3.3; b then takes
  // 2 x 2 of A, and a gets the 6 B/ns left (8 without the weight).
  Simulator sim;
  FlowNetwork net(sim);
  const auto la = net.add_link("A", 10 * kGB, 0);
  const auto lb = net.add_link("B", 4 * kGB, 0);
  const auto a = net.add_route({la});
  const auto b = net.add_weighted_route({{la, 2.0}, {lb, 1.0}});
  const auto c = net.add_route({lb});
  Recorder rec(sim);
  net.start(a, 1e9, rec, 0);
  net.start(b, 1e9, rec, 1);
  net.start(c, 1e9, rec, 2);
  CHECK(net.flow_rate(b) == 2 * kGB);
  CHECK(net.flow_rate(c) == 2 * kGB);
  CHECK(net.flow_rate(a) == 6 * kGB);

  // With A at 5 B/ns the weight makes A the tighter link: 5 / (1 + 2) = 5/3 each for a and b
  // (unweighted, 5 / 2 = 2.5 would lose to B's 2); c takes the 4 - 5/3 = 7/3 b leaves of B.
  const auto la5 = net.add_link("A5", 5 * kGB, 0);
  const auto lb4 = net.add_link("B4", 4 * kGB, 0);
  const auto a5 = net.add_route({la5});
  const auto b5 = net.add_weighted_route({{la5, 2.0}, {lb4, 1.0}});
  const auto c5 = net.add_route({lb4});
  net.start(a5, 1e9, rec, 3);
  net.start(b5, 1e9, rec, 4);
  net.start(c5, 1e9, rec, 5);
  CHECK(net.flow_rate(a5) == Approx(5.0 / 3.0 * kGB));
  CHECK(net.flow_rate(b5) == Approx(5.0 / 3.0 * kGB));
  CHECK(net.flow_rate(c5) == Approx(7.0 / 3.0 * kGB));
}

TEST_CASE("a zero-byte flow is done after the latency alone and takes no bandwidth", "[unit]") {
  Simulator sim;
  FlowNetwork net(sim);
  const auto link = net.add_link("x", 1 * kGB, us(7));
  const auto route = net.add_route({link});
  const auto instant = net.add_route({net.add_link("y", 1 * kGB, 0)});
  Recorder rec(sim);
  net.start(route, 1e6, rec, 0);
  net.start(route, 0, rec, 1);
  net.start(instant, 0, rec, 2);
  CHECK(rec.done.empty());  // never called back from inside start()
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 2) == 0);
  CHECK(finish_of(rec, 1) == us(7));
  CHECK(finish_of(rec, 0) == us(7) + ms(1));  // undisturbed by the empty flow
  CHECK(net.bytes_carried(link) == 1e6);
}

TEST_CASE("utilisation area equals the bytes carried over the capacity", "[unit]") {
  TwoGpus t;
  auto& [sim, net, host, gpu0, gpu1, r0, r1, rec] = t;
  net.start(r0, 8e6, rec, 0);
  net.start(r1, 48e6, rec, 1);
  sim.run_until(ms(1));
  // Over the first millisecond gpu1 carries 24 of its 32 B/ns: utilisation 0.75.
  CHECK(net.utilization_area(gpu1, ms(1)) / static_cast<double>(ms(1)) == 0.75);
  CHECK(net.utilization_area(host, ms(1)) == static_cast<double>(ms(1)));
  sim.run_until(ms(5));
  CHECK(net.utilization_area(host, ms(5)) == 56e6 / 32);
  CHECK(net.utilization_area(gpu0, ms(5)) == 8e6 / 8);
  CHECK(net.utilization_area(gpu1, ms(5)) == 48e6 / 32);
  CHECK(net.bytes_carried(host) == 56e6);
  CHECK(net.bytes_carried(gpu0) == 8e6);
  CHECK(net.bytes_carried(gpu1) == 48e6);
}

// Incremental recomputation: a change refills only the component of active routes it touches,
// and only routes whose rate moved get a new completion event (completions_scheduled counts them).

TEST_CASE("a change in one component leaves another's rates and events untouched", "[unit]") {
  // The parking lot without route b: a alone on A (10 B/ns) and c alone on B (4 B/ns) share no
  // link, so they are two components.
  ParkingLot p;
  auto& [sim, net, la, lb, x, unused, y, rec] = p;
  net.start(x, 10e6, rec, 0);  // alone on A: 10 B/ns, done at 1 ms
  CHECK(net.completions_scheduled() == 1);
  sim.run_until(us(500));
  // Two flows on B, 2 B/ns each: 2e6 B take 1 ms, done at 1.5 ms; one event for the route.
  net.start(y, 2e6, rec, 1);
  CHECK(net.completions_scheduled() == 2);
  net.start(y, 2e6, rec, 2);
  CHECK(net.completions_scheduled() == 3);  // y's rate halved: its event moved; x's did not
  CHECK(net.flow_rate(x) == 10 * kGB);
  CHECK(net.flow_rate(y) == 2 * kGB);
  sim.run_until(ms(1));
  CHECK(finish_of(rec, 0) == ms(1));
  CHECK(net.completions_scheduled() == 3);  // x's end moved nothing on B
  CHECK(net.flow_rate(y) == 2 * kGB);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 1) == us(1500));
  CHECK(finish_of(rec, 2) == us(1500));
  CHECK(net.utilization_area(la, sim.now()) == static_cast<double>(ms(1)));
  CHECK(net.utilization_area(lb, sim.now()) == static_cast<double>(ms(1)));
}

TEST_CASE("a flow held by its own link keeps its event when another joins an unsaturated link",
          "[unit]") {
  // Both routes cross a 128 GB/s memory link that neither fills: each runs at its own link's
  // rate, so starting or ending one never moves the other's event.
  MemoryAndTwoGpus m(128, 8, 16);
  auto& [sim, net, mem, r0, r1, rec] = m;
  net.start(r0, 8e6, rec, 0);  // 8 B/ns: done at 1 ms
  sim.run_until(us(250));
  net.start(r1, 8e6, rec, 1);  // 16 B/ns: done at 0.75 ms
  CHECK(net.flow_rate(r0) == 8 * kGB);
  CHECK(net.flow_rate(r1) == 16 * kGB);
  CHECK(net.completions_scheduled() == 2);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 1) == us(750));
  CHECK(finish_of(rec, 0) == ms(1));
  CHECK(net.completions_scheduled() == 2);
  // 8 B/ns for 1 ms and 16 for 0.5 ms over 128: 0.0625 and 0.1875 of it, exact in binary.
  CHECK(net.utilization_area(mem, sim.now()) == 0.0625 * 500'000 + 0.1875 * 500'000);
}

TEST_CASE("a shared link that saturates and frees again moves both routes' events", "[unit]") {
  // Memory 32 GB/s behind two 24 GB/s GPU links. Alone, r0 runs at 24 (memory not full); with
  // r1 the memory link is the bottleneck, 32 / 2 = 16 each; when r1 ends r0 is back at 24.
  MemoryAndTwoGpus m(32, 24, 24);
  auto& [sim, net, mem, r0, r1, rec] = m;
  net.start(r0, 24e6, rec, 0);
  CHECK(net.flow_rate(r0) == 24 * kGB);
  sim.run_until(us(500));  // r0 has moved 12e6
  net.start(r1, 8e6, rec, 1);
  CHECK(net.flow_rate(r0) == 16 * kGB);
  CHECK(net.flow_rate(r1) == 16 * kGB);
  CHECK(net.completions_scheduled() == 3);  // r0's event moved, r1's is new
  sim.run_until(ms(1));  // r1 done (8e6 at 16); r0 has moved 20e6, 4e6 left at 24 B/ns
  CHECK(finish_of(rec, 1) == ms(1));
  CHECK(net.flow_rate(r0) == 24 * kGB);
  CHECK(net.completions_scheduled() == 4);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 0) == ms(1) + 166'667);  // 4e6 / 24 = 166,666.7 ns, rounded up
  // Memory: 24/32 for 0.5 ms, full for 0.5 ms, 24/32 for 166,667 ns.
  CHECK(net.utilization_area(mem, sim.now()) == 0.75 * 500'000 + 500'000 + 0.75 * 166'667);
}

TEST_CASE("a route that ends splits its component and both halves are refilled", "[unit]") {
  // The parking lot: a on A (10 B/ns), c on B (4 B/ns), b across both. B is split 2/2 between
  // b and c, a takes the 8 B/ns b leaves of A. When b ends, a and c no longer share a link: a
  // runs at 10, c at 4.
  ParkingLot p;
  auto& [sim, net, la, lb, a, b, c, rec] = p;
  net.start(a, 18e6, rec, 0);  // alone: 10; scheduled once
  net.start(b, 2e6, rec, 1);   // b 4 (B), a 6: a's event moves, b's is new
  net.start(c, 6e6, rec, 2);   // b and c 2 (B), a 8: a's and b's move, c's is new
  CHECK(net.flow_rate(a) == 8 * kGB);
  CHECK(net.flow_rate(b) == 2 * kGB);
  CHECK(net.flow_rate(c) == 2 * kGB);
  CHECK(net.completions_scheduled() == 6);
  sim.run_until(ms(1));  // b's 2e6 at 2 B/ns
  CHECK(finish_of(rec, 1) == ms(1));
  CHECK(net.flow_rate(a) == 10 * kGB);
  CHECK(net.flow_rate(c) == 4 * kGB);
  CHECK(net.completions_scheduled() == 8);
  sim.run_until(seconds(1));
  CHECK(finish_of(rec, 0) == ms(2));  // 8e6 in the first ms, 10e6 at 10 B/ns
  CHECK(finish_of(rec, 2) == ms(2));  // 2e6 in the first ms, 4e6 at 4 B/ns
}

TEST_CASE("a component of more than sixteen routes and links fills as a small one would",
          "[unit]") {
  // 20 routes over one 60 GB/s memory link, each behind a link of its own: 10 of 2 GB/s and 10
  // of 8 GB/s. The 2 GB/s links are the tightest (60 / 20 = 3 > 2), then memory gives the other
  // ten (60 - 10 x 2) / 10 = 4 each. When the slow ones end at 1 ms, memory gives 60 / 10 = 6.
  Simulator sim;
  FlowNetwork net(sim);
  const auto mem = net.add_link("memory", 60 * kGB, 0);
  std::vector<FlowNetwork::RouteId> slow, fast;
  for (int i = 0; i < 20; ++i) {
    const bool is_slow = i % 2 == 0;  // interleaved, so the ids of each kind are not contiguous
    const auto own = net.add_link("gpu", (is_slow ? 2 : 8) * kGB, 0);
    (is_slow ? slow : fast).push_back(net.add_route({mem, own}));
  }
  Recorder rec(sim);
  for (int i = 0; i < 10; ++i) {
    net.start(slow[i], 2e6, rec, i);
    net.start(fast[i], 8e6, rec, 10 + i);
  }
  for (int i = 0; i < 10; ++i) {
    CHECK(net.flow_rate(slow[i]) == 2 * kGB);
    CHECK(net.flow_rate(fast[i]) == 4 * kGB);
  }
  sim.run_until(seconds(1));
  for (int i = 0; i < 10; ++i) {
    CHECK(finish_of(rec, i) == ms(1));
    // 4e6 in the first ms, 4e6 at 6 B/ns: 666,666.7 ns, rounded up.
    CHECK(finish_of(rec, 10 + i) == ms(1) + 666'667);
  }
}

namespace {

struct ManyFlows {
  std::vector<std::pair<std::uint64_t, Time>> done;
  std::vector<double> carried, area, capacity_per_ns;
  std::vector<double> expected;  // bytes per link, from the starts
  std::vector<std::uint64_t> flows_per_link;
  std::vector<Time> lower_bound;  // per token: start + latency + bytes / slowest link
};

ManyFlows run_many_flows(int n) {
  Simulator sim;
  FlowNetwork net(sim);
  // 4 GPUs, both directions: H2D = [host_down, gpu_down], D2H = [gpu_up, host_up].
  const std::vector<double> gpu_gbps = {8, 16, 16, 32};
  const auto host_down = net.add_link("host_down", 32 * kGB, 500);
  const auto host_up = net.add_link("host_up", 32 * kGB, 500);
  std::vector<std::vector<FlowNetwork::LinkId>> routes;
  for (std::size_t g = 0; g < gpu_gbps.size(); ++g) {
    const auto down = net.add_link("gpu_down", gpu_gbps[g] * kGB, 1000);
    const auto up = net.add_link("gpu_up", gpu_gbps[g] * kGB, 1000);
    routes.push_back({host_down, down});
    routes.push_back({up, host_up});
    net.add_route(routes[routes.size() - 2]);
    net.add_route(routes.back());
  }
  ManyFlows out;
  out.expected.assign(net.links(), 0.0);
  out.flows_per_link.assign(net.links(), 0);
  const std::vector<double> caps = {32, 32, 8, 8, 16, 16, 16, 16, 32, 32};
  Recorder rec(sim);
  for (int i = 0; i < n; ++i) {
    sim.run_until(static_cast<Time>(i) *
                  50);  // a new flow every 50 ns: far beyond what the links drain
    const auto r = static_cast<FlowNetwork::RouteId>(i % 8);
    const double bytes = 4096.0 * static_cast<double>(1 + (i * 7919) % 257);
    net.start(r, bytes, rec, static_cast<std::uint64_t>(i));
    double slowest = 1e300;
    for (const auto l : routes[r]) {
      out.expected[l] += bytes;
      ++out.flows_per_link[l];
      slowest = std::min(slowest, caps[l]);
    }
    out.lower_bound.push_back(sim.now() + net.route_latency(r) +
                              static_cast<Time>(std::ceil(bytes / slowest)));
  }
  sim.run_until(seconds(10));
  out.done = rec.done;
  for (FlowNetwork::LinkId l = 0; l < net.links(); ++l) {
    out.carried.push_back(net.bytes_carried(l));
    out.area.push_back(net.utilization_area(l, sim.now()));
    out.capacity_per_ns.push_back(caps[l]);
  }
  return out;
}

}  // namespace

TEST_CASE("ten thousand concurrent flows on eight routes all finish and conserve bytes", "[unit]") {
  const int n = 10'000;
  const ManyFlows a = run_many_flows(n);
  REQUIRE(a.done.size() == static_cast<std::size_t>(n));
  std::vector<int> seen(n, 0);
  for (const auto& [token, at] : a.done) {
    ++seen[token];
    CHECK(at >= a.lower_bound[token]);  // no flow beats its route's latency and slowest link
  }
  for (int i = 0; i < n; ++i) CHECK(seen[i] == 1);
  for (std::size_t l = 0; l < a.carried.size(); ++l) {
    INFO("link " << l);
    // Whole bytes below 2^53: the sums are exact in any order.
    CHECK(a.carried[l] == a.expected[l]);
    // Each finish is rounded up to the next ns, during which its flow may keep up to the link's
    // whole capacity: the area can exceed bytes / capacity by at most that, never fall short.
    const double moved = a.area[l] * a.capacity_per_ns[l];
    CHECK(moved >= a.carried[l] * (1 - 1e-12));
    CHECK(moved <= a.carried[l] + static_cast<double>(a.flows_per_link[l]) * a.capacity_per_ns[l]);
  }
  // The same starts give the same finishes, in the same order.
  const ManyFlows b = run_many_flows(n);
  CHECK(a.done == b.done);
}

}  // namespace servesim
