#!/usr/bin/env bash
# Throughput and p99 latency against 1 to 4 GPUs, swept from Python by the servesim module
# (sweep_gpus.py; docs/python.md). Writes results.csv, and gpus.png when matplotlib is installed,
# into build/examples/python-sweep (or OUT). PYTHON: the interpreter the module was built for
# (default /usr/bin/python3, as CMake's); the module is found on PYTHONPATH, else in build/python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh"
PYTHON="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
OUT="$dest" "$PYTHON" "$here/sweep_gpus.py"
