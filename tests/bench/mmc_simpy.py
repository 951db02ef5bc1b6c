"""The M/M/c scenario of tests/bench/mm4.yaml written the usual SimPy 3 way, for mmc_vs_simpy.sh.

A source process draws Poisson arrivals; each customer is a process that requests one of `c`
servers (simpy.Resource), holds it for an exponential service time and leaves. Customers that
leave after the warm-up are counted, as servesim's `completed` counts its measurement window.
Prints one JSON line: customers completed, simulated seconds, wall seconds.

Run it with Debian's interpreter (/usr/bin/python3), which has python3-simpy3.
"""

import argparse
import json
import random
import time

import simpy


def replication(seed, rate, servers, mean_service, duration, warmup):
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=servers)
    rng = random.Random(seed)
    done = [0]

    def customer():
        with pool.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / mean_service))
        if env.now >= warmup:
            done[0] += 1

    def source():
        while True:
            yield env.timeout(rng.expovariate(rate))
            env.process(customer())

    env.process(source())
    env.run(until=duration)
    return done[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=90.0, help="arrivals per second")
    ap.add_argument("--servers", type=int, default=4)
    ap.add_argument("--mean-service", type=float, default=0.040, help="seconds")
    ap.add_argument("--duration", type=float, default=2000.0, help="seconds, warm-up included")
    ap.add_argument("--warmup", type=float, default=100.0, help="seconds")
    ap.add_argument("--replications", type=int, default=1)
    a = ap.parse_args()

    t0 = time.perf_counter()
    completed = sum(
        replication(a.seed * 1000 + r, a.rate, a.servers, a.mean_service, a.duration, a.warmup)
        for r in range(a.replications)
    )
    wall = time.perf_counter() - t0
    print(json.dumps({
        "simpy": simpy.__version__,
        "completed": completed,
        "replications": a.replications,
        "simulated_s": a.duration * a.replications,
        "wall_s": round(wall, 4),
    }))


if __name__ == "__main__":
    main()
