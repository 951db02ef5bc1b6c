#!/usr/bin/env python3
"""Mutants of the shipped scenarios through the whole `servesim run`, counted by outcome.

Each mutant is one shipped scenario with one structural or hostile edit (a line deleted, doubled
or re-indented, a value swapped for a hostile one, an alias bomb, a bad include, a bad --set). It
runs under a memory limit and a timeout, and its outcome is one of:

  accepted      exit 0
  located       exit 2, and stderr starts with FILE:LINE:COL: error: (or the option)
  unlocated     exit 2 without a location            -> a defect
  runtime       exit 1                                -> a defect unless the message says why
  crash         killed by a signal                    -> a defect
  hang          past the timeout                      -> a defect

Usage: cli_mutants.py SERVESIM [COUNT] [SEED]. Prints a table; exits 1 if any defect was seen,
listing each defect's mutant so it can be reproduced. The same COUNT and SEED give the same
mutants.
"""

import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LOCATED = re.compile(r"^[^\n]*:\d+:\d+: error: ", re.M)
TIMEOUT_S = 20
MEMORY_BYTES = 2 << 30

HOSTILE_VALUES = [
    "-1", "0", "1e308", "-1e308", "1e-308", "nan", ".nan", ".inf", "-.inf", "99999999999999999999",
    "0x10", "1e300s", "1e-300/s", "0s", "-5ms", "1e15kB", "0B/s", "NaNms", "''", '""', "~", "null",
    "[]", "{}", "[[[[[[[[[[]]]]]]]]]]", "&a [*a]", "*nosuch", "!!binary aGk=", "yes", "\"\\x00\"",
    "\"\\u202e\"", "\"a\\nb\"", "=HYPERLINK(\"x\")", "'$(touch PWNED)'", "`touch PWNED`",
    "\"" + "x" * 5000 + "\"", "1/s", "1e9/s", "1e10/s", "2147483648", "-2147483649", "18446744073709551616",
]
HOSTILE_SETS = [
    "run=&a {duration: 5s, x: *a}", "seed=-1", "run.replications=0", "run.replications=100000000",
    "workload.rate=1e-300/s", "workload.concurrency=1e12", "node.cpu.cores=0",
    "pipeline.nosuch.device=cpu", "pipeline.0.instances=-3", "a.b.c.d.e.f.g.h=1", "=", "run.",
    ".run", "run..duration=1s", "pipeline.999.name=x", "node.gpus.count=100000",
    "workload.images=[{width: 1e9, height: 1e9, bytes: 1e15kB}]", "include=/dev/zero",
    "include=/proc/self/mem", "include=.", "run.duration=1e300s",
]


def bomb(levels=8, width=9):
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def mutate(text, rng):
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.choice(["delete", "double", "indent", "dedent", "value", "value", "value", "junk",
                       "bomb", "include", "document", "truncate", "tab"])
    if kind == "delete":
        del lines[i]
    elif kind == "double":
        lines.insert(i, lines[i])
    elif kind == "indent":
        lines[i] = "  " + lines[i]
    elif kind == "dedent":
        lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i]
    elif kind == "value":
        m = re.match(r"^(\s*-?\s*[\w.]+:\s*)(.+)$", lines[i])
        if m:
            lines[i] = m.group(1) + rng.choice(HOSTILE_VALUES)
        else:
            lines[i] = lines[i] + " " + rng.choice(HOSTILE_VALUES)
    elif kind == "junk":
        pos = rng.randrange(len(lines[i]) + 1)
        junk = rng.choice(["\t", "\x00", "\xff", "{", "[", ":", "&", "*", "!", "%", "@", "`", "'",
                           "\"", "#", "|", ">", "\u202e", "\u00e9"])
        lines[i] = lines[i][:pos] + junk + lines[i][pos:]
    elif kind == "bomb":
        lines.append(bomb(rng.randint(3, 9)))
    elif kind == "include":
        lines.insert(0, "include: " + rng.choice(["/dev/zero", ".", "''", "/proc/self/mem",
                                                   "nosuch.yaml", "[/etc/passwd]", "/tmp"]))
    elif kind == "document":
        lines.append("---\nseed: 1")
    elif kind == "truncate":
        cut = rng.randrange(len(text) + 1)
        return text[:cut], kind
    elif kind == "tab":
        lines[i] = lines[i].replace("  ", "\t", 1)
    return "\n".join(lines), kind


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def classify(proc_rc, err):
    if proc_rc is None:
        return "hang"
    if proc_rc < 0:
        return "crash"
    if proc_rc == 0:
        return "accepted"
    if proc_rc == 2:
        return "located" if LOCATED.search(err) else "unlocated"
    return "runtime"


def main():
    servesim = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="servesim-mutants-")
    try:
        shutil.copytree(os.path.join(ROOT, "configs"), os.path.join(work, "configs"))
        scen_dir = os.path.join(work, "configs", "scenarios")
        sources = sorted(f for f in os.listdir(scen_dir) if f.endswith(".yaml"))
        counts, defects = {}, []
        # A short run: the mutants test the loader and the model's guards, not the results.
        short = ["--set", "run.duration=200ms", "--set", "run.warmup=0s", "--set",
                 "run.replications=1", "-j", "1", "-q"]
        for n in range(count):
            src = rng.choice(sources)
            text = open(os.path.join(scen_dir, src), encoding="utf-8").read()
            extra = []
            if rng.random() < 0.2:
                kind = "set"
                extra = ["--set", rng.choice(HOSTILE_SETS)]
            else:
                text, kind = mutate(text, rng)
            path = os.path.join(scen_dir, f"mutant-{n}.yaml")
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            cmd = [servesim, "run", path] + extra + short
            try:
                p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, preexec_fn=limit,
                                   cwd=work)
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = None, ""
            outcome = classify(rc, err)
            counts.setdefault(kind, {}).setdefault(outcome, 0)
            counts[kind][outcome] += 1
            if outcome in ("unlocated", "runtime", "crash", "hang"):
                keep = os.path.join(work, "..", f"servesim-defect-{seed}-{n}.yaml")
                shutil.copy(path, keep)
                defects.append((outcome, src, kind, " ".join(extra), os.path.normpath(keep),
                                err.strip().splitlines()[-1] if err.strip() else ""))
            os.remove(path)
            if os.path.exists(os.path.join(work, "PWNED")):
                defects.append(("injection", src, kind, " ".join(extra), "", "PWNED created"))
                os.remove(os.path.join(work, "PWNED"))
        outcomes = ["accepted", "located", "unlocated", "runtime", "crash", "hang"]
        print(f"{count} mutants (seed {seed}) of {len(sources)} shipped scenarios\n")
        print("| mutation | " + " | ".join(outcomes) + " |")
        print("|---|" + "---:|" * len(outcomes))
        for kind in sorted(counts):
            print(f"| {kind} | " + " | ".join(str(counts[kind].get(o, 0)) for o in outcomes) + " |")
        total = {o: sum(c.get(o, 0) for c in counts.values()) for o in outcomes}
        print("| **all** | " + " | ".join(f"**{total[o]}**" for o in outcomes) + " |")
        for d in defects:
            print("DEFECT", *d, sep="\t")
        return 1 if defects else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
