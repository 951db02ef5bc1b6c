#!/usr/bin/env python3
"""Throughput and latency against the number of GPUs, from Python: the built-in default scenario
(the paper's ViT-base node) at 1024 clients with 1 to 4 GPUs, swept by the servesim module in this
process (docs/python.md). Writes results.csv and, when matplotlib is installed, gpus.png into OUT,
else build/examples/python-sweep (so that trying it never overwrites the committed results).

    PYTHONPATH=build/python python3 examples/python-sweep/sweep_gpus.py
"""
import csv
import os
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
try:
    import servesim
except ImportError:
    # Not on PYTHONPATH: the module of this tree's build (bash setup.sh build).
    sys.path.insert(0, str(root / "build" / "python"))
    import servesim

dest = pathlib.Path(os.environ.get("OUT") or root / "build" / "examples" / "python-sweep")
dest.mkdir(parents=True, exist_ok=True)

# A short run per point (5 s simulated after 1 s of warm-up, 3 replications): the whole sweep
# takes about a second on 2 cores.
rows = servesim.sweep(
    grid={"node.gpus.count": [1, 2, 3, 4]},
    set={"workload.concurrency": 1024, "run.duration": "5s", "run.warmup": "1s",
         "run.replications": 3},
    jobs=2,
)

columns = ["gpus", "throughput_rps", "throughput_ci_low", "throughput_ci_high", "latency_p50_ms",
           "latency_p99_ms", "bottleneck"]
with open(dest / "results.csv", "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(columns)
    for row in rows:
        r = row["result"]
        low, high = r["throughput_ci95"]
        out.writerow([row["grid"]["node.gpus.count"], r["throughput_rps"], low, high,
                      r["latency_ms"]["p50"], r["latency_ms"]["p99"], r["bottleneck"]])
print(f"wrote {dest / 'results.csv'}")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed (Debian: python3-matplotlib): no plot")
    sys.exit(0)

gpus = [int(row["grid"]["node.gpus.count"]) for row in rows]
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(gpus, [row["result"]["throughput_rps"] for row in rows], "o-", label="throughput")
ax.set_xlabel("GPUs")
ax.set_ylabel("throughput (req/s)")
ax.set_xticks(gpus)
ax.set_ylim(bottom=0)
ax2 = ax.twinx()
ax2.plot(gpus, [row["result"]["latency_ms"]["p99"] for row in rows], "s--", color="tab:red",
         label="p99 latency")
ax2.set_ylabel("p99 latency (ms)")
ax2.set_ylim(bottom=0)
ax.set_title("ViT-base node, 1024 clients (servesim.sweep)")
fig.legend(loc="lower right", bbox_to_anchor=(0.88, 0.15))
fig.tight_layout()
fig.savefig(dest / "gpus.png", dpi=100)
print(f"wrote {dest / 'gpus.png'}")
