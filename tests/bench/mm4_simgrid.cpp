/// The SimGrid baseline of tests/bench/mm4_baselines.sh: the M/M/4 of tests/bench/mm4.yaml in
/// SimGrid's S4U interface, written the way S4U is meant to be used: actors that sleep in
/// simulated time and synchronise. Per replication, one generator actor draws Poisson arrivals,
/// appends each customer's arrival time to a FIFO and releases a counting semaphore; c server
/// actors each acquire the semaphore, take the front customer, sleep for an exponential service
/// time and record the sojourn (count, sum, log-bucket histogram, as mm4_bare.cpp does). The
/// servers are long-lived, so no actor is created per customer. A driver actor runs the
/// replications one after another in simulated time; when a replication's generator reaches the
/// end of the replication the driver ends its servers. Same random engine and distributions as
/// mm4_bare.cpp (std::mt19937_64, std::exponential_distribution), same seeds.
///
///   mm4_simgrid [SimGrid's --cfg=... / --log=... options] [mm4_bare's options]
///
/// Prints one JSON line (see mm4_common.h). Built only where SimGrid is installed (Debian:
/// libsimgrid-dev); see tests/bench/CMakeLists.txt.

#include <simgrid/s4u.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "mm4_common.h"

namespace sg4 = simgrid::s4u;

namespace {

/// One replication's shared state; it outlives the simulation (see main).
struct System {
  System(const mm4::Options& o, std::uint64_t seed, mm4::LogHistogram& h)
      : opts(o), rng(seed), interarrival(o.rate), service(1.0 / o.mean_service), hist(h) {}
  const mm4::Options& opts;
  std::mt19937_64 rng;
  std::exponential_distribution<double> interarrival;
  std::exponential_distribution<double> service;
  mm4::LogHistogram& hist;
  sg4::SemaphorePtr waiting_count = sg4::Semaphore::create(0);
  std::deque<double> waiting;  // arrival times, FIFO
  double warmup_at = 0.0;      // absolute simulated times of this replication
  double end_at = 0.0;
  mm4::Replication rep;
};

void generator(System* s) {
  double t = sg4::Engine::get_clock();
  for (;;) {
    t += s->interarrival(s->rng);
    if (t >= s->end_at) break;
    sg4::this_actor::sleep_until(t);
    s->waiting.push_back(t);
    s->waiting_count->release();
  }
  sg4::this_actor::sleep_until(s->end_at);
}

void server(System* s) {
  for (;;) {
    s->waiting_count->acquire();
    const double arrived = s->waiting.front();
    s->waiting.pop_front();
    sg4::this_actor::sleep_for(s->service(s->rng));
    const double now = sg4::Engine::get_clock();
    if (now >= s->end_at) return;
    if (now >= s->warmup_at) {
      const double sojourn = now - arrived;
      ++s->rep.completed;
      s->rep.sojourn_sum += sojourn;
      s->hist.add(sojourn);
    }
  }
}

void driver(std::vector<std::unique_ptr<System>>* systems) {
  sg4::Host* host = sg4::this_actor::get_host();
  for (auto& s : *systems) {
    const double start = sg4::Engine::get_clock();
    s->warmup_at = start + s->opts.warmup;
    s->end_at = start + s->opts.duration;
    std::vector<sg4::ActorPtr> servers;
    servers.reserve(static_cast<std::size_t>(s->opts.servers));
    for (int i = 0; i < s->opts.servers; ++i)
      servers.push_back(sg4::Actor::create("server", host, server, s.get()));
    sg4::Actor::create("generator", host, generator, s.get())->join();
    for (auto& a : servers) a->kill();
  }
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);  // takes SimGrid's own options out of argv
  const mm4::Options o = mm4::parse_options(argc, argv, "mm4_simgrid");
  mm4::LogHistogram hist;
  std::vector<std::unique_ptr<System>> systems;
  systems.reserve(static_cast<std::size_t>(o.replications));
  for (int r = 0; r < o.replications; ++r)
    systems.push_back(
        std::make_unique<System>(o, o.seed * 1000 + static_cast<std::uint64_t>(r), hist));

  sg4::NetZone* zone = sg4::create_full_zone("world");
  sg4::Host* host = zone->create_host("node", 1e9);
  zone->seal();
  sg4::Actor::create("driver", host, driver, &systems);

  const auto t0 = std::chrono::steady_clock::now();
  engine.run();
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
  std::vector<mm4::Replication> reps;
  reps.reserve(systems.size());
  for (const auto& s : systems) reps.push_back(s->rep);
  mm4::print_result("simgrid", o, reps, hist, wall.count());
  return 0;
}
