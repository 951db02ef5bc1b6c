#!/usr/bin/env bash
# The former entry point of the M/M/4 benchmark against SimPy 3; it now runs all the baselines
# (a bare C++ loop, SimGrid where built, SimPy) beside servesim: see mm4_baselines.sh, which
# takes the same arguments and environment (REPEATS, SIMPY_REPLICATIONS) and still prints the
# {"bench":"mmc_vs_simpy",...} line.
#
#   tests/bench/mmc_vs_simpy.sh [path/to/servesim] [dir of mm4_bare and mm4_simgrid]
exec "$(dirname "${BASH_SOURCE[0]}")/mm4_baselines.sh" "$@"
