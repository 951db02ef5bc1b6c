#!/usr/bin/env python3
"""Prints docs/validation.md's rung-1 table: each analytic scenario run through `servesim run`.

usage: python3 tests/validation/report.py [BUILD_DIR]   (default: build)
The theory column is computed here from the same formulas as tests/validation/queueing_theory.h.
"""
import json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")


def erlang_c(c, a):
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    top = term * a / c / (1 - a / c)
    return top / (total + top)


def mmc(c, lam, s):
    return erlang_c(c, lam * s) / (c / s - lam) + s


def pk_wait(lam, s, cv):
    return lam * s * s * (1 + cv * cv) / (2 * (1 - lam * s))


def mva(demands, think, n):
    q = [0.0] * len(demands)
    for pop in range(1, n + 1):
        r = [d * (1 + qk) for d, qk in zip(demands, q)]
        x = pop / (think + sum(r))
        q = [x * rk for rk in r]
    return x, sum(r)


X, R = mva([0.010, 0.015], 0.050, 8)
CASES = [  # (file, label, json path, theory)
    ("mm1.yaml", "M/M/1 rho 0.8: W (ms)", ("latency_ms", "mean"), mmc(1, 80, 0.010) * 1e3),
    ("../../../configs/scenarios/mm4.yaml", "M/M/4 rho 0.9 (Erlang C): W (ms)", ("latency_ms", "mean"), mmc(4, 90, 0.040) * 1e3),
    ("../../../configs/scenarios/mm4.yaml", "M/M/4 rho 0.9 (Erlang C): Wq (ms)", ("stages", 0, "queue_ms"), (mmc(4, 90, 0.040) - 0.040) * 1e3),
    ("md1.yaml", "M/D/1 rho 0.8 (P-K): Wq (ms)", ("stages", 0, "queue_ms"), pk_wait(80, 0.010, 0) * 1e3),
    ("mg1-lognormal.yaml", "M/G/1 lognormal cv 2, rho 0.6 (P-K): Wq (ms)", ("stages", 0, "queue_ms"), pk_wait(60, 0.010, 2) * 1e3),
    ("closed-mva.yaml", "closed N=8, Z=50ms (MVA): X (1/s)", ("throughput_rps",), X),
    ("closed-mva.yaml", "closed N=8, Z=50ms (MVA): R (ms)", ("latency_ms", "mean"), R * 1e3),
    ("tandem-jackson.yaml", "tandem M/M/1 + M/M/2 (Jackson): W (ms)", ("latency_ms", "mean"), (mmc(1, 50, 0.012) + mmc(2, 50, 0.030)) * 1e3),
    ("ps-md1.yaml", "M/D/1-PS rho 0.8: W (ms)", ("latency_ms", "mean"), 10 / 0.2),
]
CI_KEYS = {("latency_ms", "mean"): ("latency_ms", "mean_ci95"), ("throughput_rps",): ("throughput_ci95",),
           ("stages", 0, "queue_ms"): ("stages", 0, "queue_ms_ci95")}


def dig(obj, path):
    for p in path:
        obj = obj[p]
    return obj


print("| check | theory | servesim | 95% CI | inside | Little / util. law worst residual |")
print("|---|---|---|---|---|---|")
cache = {}
for fname, label, path, theory in CASES:
    if fname not in cache:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            scenario = os.path.normpath(os.path.join(ROOT, "tests/validation/scenarios", fname))
            subprocess.run([os.path.join(BUILD, "servesim"), "run", scenario, "-q", "--json", out.name], check=True)
            cache[fname] = json.load(open(out.name))
    j = cache[fname]
    value, (lo, hi) = dig(j, path), dig(j, CI_KEYS[path])
    # A law that cannot be checked (nothing completed) has relative_error null.
    worst = max((l["relative_error"] for l in j["laws"] if l["relative_error"] is not None), default=float("nan"))
    print(f"| {label} | {theory:.4g} | {value:.4g} | {lo:.4g} .. {hi:.4g} | {'yes' if lo <= theory <= hi else 'NO'} | {worst:.1e} |")
