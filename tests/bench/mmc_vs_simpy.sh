#!/usr/bin/env bash
# M/M/4 (README's minimal scenario, tests/bench/mm4.yaml) through the full `servesim run`
# path and the same model in SimPy 3, in one script: customers completed per wall second.
#
#   tests/bench/mmc_vs_simpy.sh [path/to/servesim]      (default: build/servesim)
#
# Environment: REPEATS (default 5) runs of each side, interleaved, medians reported;
# SIMPY_REPLICATIONS (default 1) replications of 2000 simulated seconds for SimPy, which is
# far slower, so it runs a tenth of servesim's horizon (10 replications) and rates are compared.
# Both count customers that finish after the 100 s warm-up and are timed the same way, as whole
# processes (start-up, config parsing and output included): wall time, and user + sys CPU time,
# which a second process competing for the cores disturbs less.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
servesim="${1:-build/servesim}"
repeats="${REPEATS:-5}"
simpy_reps="${SIMPY_REPLICATIONS:-1}"
py=/usr/bin/python3   # Debian's interpreter: python3-simpy3 belongs to it
scenario="$here/mm4.yaml"
json="$(mktemp --suffix=.json)"

[[ -x "$servesim" ]] || { echo "mmc_vs_simpy.sh: no servesim binary at '$servesim'" >&2; exit 2; }
"$py" -c 'import simpy' 2>/dev/null || { echo "mmc_vs_simpy.sh: $py cannot import simpy (apt install python3-simpy3)" >&2; exit 2; }

field() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$json" "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6g", a / b}'; }

# Runs "$@" (stdout to $stdout_file) and prints "wall_s cpu_s" (cpu = user + sys of the process).
exec 3>&2
stdout_file="$(mktemp)"
trap 'rm -f "$json" "$stdout_file"' EXIT
timed() {
  local TIMEFORMAT='%R %U %S' t r u s
  t=$({ time "$@" >"$stdout_file" 2>&3; } 2>&1)
  read -r r u s <<<"$t"
  awk -v r="$r" -v u="$u" -v s="$s" 'BEGIN {printf "%.3f %.3f", r, u + s}'
}
# One servesim run with -j $1; prints "completed wall_s cpu_s".
run_servesim() {
  local t
  t=$(timed "$servesim" run "$scenario" -q -j "$1" --json "$json")
  echo "$(field completed) $t"
}
run_simpy() {
  local t
  t=$(timed "$py" "$here/mmc_simpy.py" --replications "$simpy_reps")
  echo "$("$py" -c 'import json,sys; print(json.load(sys.stdin)["completed"])' <"$stdout_file") $t"
}

cores=$(nproc)
declare -a r1 rall rpy ratio cratio
for ((i = 0; i < repeats; i++)); do
  read -r c1 w1 u1 < <(run_servesim 1)
  read -r cp wp up < <(run_simpy)
  read -r ca wa _ < <(run_servesim 0)
  r1+=("$(div "$c1" "$w1")"); rpy+=("$(div "$cp" "$wp")"); rall+=("$(div "$ca" "$wa")")
  ratio+=("$(div "${r1[-1]}" "${rpy[-1]}")")
  cratio+=("$(div "$(div "$c1" "$u1")" "$(div "$cp" "$up")")")
  printf 'run %d: servesim -j 1: %d customers, %.3f s wall (%.3f s cpu) | SimPy: %d customers, %.3f s wall (%.3f s cpu) | servesim -j %d: %.3f s wall\n' \
    "$((i + 1))" "$c1" "$w1" "$u1" "$cp" "$wp" "$up" "$cores" "$wa"
done

m1=$(median "${r1[@]}"); mpy=$(median "${rpy[@]}"); mall=$(median "${rall[@]}")
mratio=$(median "${ratio[@]}"); mcratio=$(median "${cratio[@]}")
echo
echo "M/M/4 (rate 90/s, 4 x exp 40 ms, 2000 s incl. 100 s warm-up), medians of $repeats runs:"
printf '  %-22s %12.0f customers per wall second\n' "servesim -j 1" "$m1" \
  "SimPy $("$py" -c 'import simpy; print(simpy.__version__)')" "$mpy" "servesim -j $cores" "$mall"
printf '  servesim -j 1 / SimPy: %.1fx by wall time, %.1fx by CPU time (medians of per-run ratios; target >= 50x)\n' \
  "$mratio" "$mcratio"
printf '{"bench":"mmc_vs_simpy","repeats":%d,"servesim_j1_customers_per_s":%.0f,"simpy_customers_per_s":%.0f,"servesim_jall_customers_per_s":%.0f,"cores":%d,"ratio_j1_over_simpy":%.2f,"ratio_j1_over_simpy_cpu":%.2f}\n' \
  "$repeats" "$m1" "$mpy" "$mall" "$cores" "$mratio" "$mcratio"
