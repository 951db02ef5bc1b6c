#!/usr/bin/env bash
# M/M/4 (README's minimal scenario, tests/bench/mm4.yaml) through the full `servesim run` path
# beside three baselines of the same model, in one script: customers completed per wall second,
# and servesim's ratio against each.
#
#   tests/bench/mm4_baselines.sh [path/to/servesim] [dir of mm4_bare and mm4_simgrid]
#       (defaults: build/servesim, and tests/bench beside the servesim binary)
#
#   - a bare hand-written C++ loop (tests/bench/mm4_bare.cpp), always built with the benchmarks;
#   - SimGrid's S4U (tests/bench/mm4_simgrid.cpp), when it was built (SimGrid installed, Debian
#     libsimgrid-dev; it is skipped otherwise);
#   - SimPy 3 (tests/bench/mmc_simpy.py, Debian's python3-simpy3).
#
# Environment: REPEATS (default 5) rounds; each round runs every implementation once, in turn
# (servesim -j 1, bare, SimGrid, SimPy, servesim -j all cores); rates are medians of the rounds
# and ratios medians of the per-round ratios, with [min-max]. servesim, the bare loop and SimGrid
# run the same 10 replications of 2000 simulated seconds; SimPy, which is far slower, runs
# SIMPY_REPLICATIONS (default 1) of them, and rates are compared. Every side counts the customers
# that finish after the 100 s warm-up and is timed the same way, as a whole process (start-up,
# parsing and output included): wall time, and user + sys CPU time, which a second process
# competing for the cores disturbs less.
#
# The check that the baselines simulate the same system: servesim, the bare loop and SimGrid each
# report the mean sojourn time with a 95% confidence interval across replications, printed beside
# the M/M/c (Erlang C) value; two implementations agree when their means differ by less than
# sqrt(h1^2 + h2^2) (the half-widths). Targets (issue 19): servesim within 1.5x of the bare
# loop's customers per second, at least 15x SimGrid, at least 50x SimPy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
servesim="${1:-build/servesim}"
bench_dir="${2:-$(dirname "$servesim")/tests/bench}"
repeats="${REPEATS:-5}"
simpy_reps="${SIMPY_REPLICATIONS:-1}"
py=/usr/bin/python3   # Debian's interpreter: python3-simpy3 belongs to it
scenario="$here/mm4.yaml"
# The model of mm4.yaml, for the baselines and Erlang C (the sojourn check catches a mismatch).
rate=90 servers=4 mean_service=0.040 duration=2000 warmup=100 replications=10
model=(--rate "$rate" --servers "$servers" --mean-service "$mean_service" --duration "$duration"
       --warmup "$warmup" --replications "$replications" --seed 7)

me=mm4_baselines.sh
[[ -x "$servesim" ]] || { echo "$me: no servesim binary at '$servesim'" >&2; exit 2; }
[[ -x "$bench_dir/mm4_bare" ]] || { echo "$me: no mm4_bare in '$bench_dir' (build target mm4_bare)" >&2; exit 2; }
"$py" -c 'import simpy' 2>/dev/null || { echo "$me: $py cannot import simpy (apt install python3-simpy3)" >&2; exit 2; }
simgrid=""
if [[ -x "$bench_dir/mm4_simgrid" ]]; then
  simgrid="$bench_dir/mm4_simgrid"
else
  echo "$me: no mm4_simgrid in '$bench_dir' (SimGrid not installed at configure: apt install libsimgrid-dev); skipping SimGrid" >&2
fi

json="$(mktemp --suffix=.json)"
stdout_file="$(mktemp)"
trap 'rm -f "$json" "$stdout_file"' EXIT
# field FILE KEY: one value of a JSON object (servesim's --json file, or a baseline's line).
field() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "[%.3g-%.3g]", lo, hi}'; }
# median_of "v1 v2 ...": the median of a space-separated list.
median_of() { local -a v; read -ra v <<<"$1"; median "${v[@]}"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6g", a / b}'; }

# Runs "$@" (stdout to $stdout_file) and prints "wall_s cpu_s" (cpu = user + sys of the process).
exec 3>&2
timed() {
  local TIMEFORMAT='%R %U %S' t r u s
  t=$({ time "$@" >"$stdout_file" 2>&3; } 2>&1)
  read -r r u s <<<"$t"
  awk -v r="$r" -v u="$u" -v s="$s" 'BEGIN {printf "%.3f %.3f", r, u + s}'
}
# Each run_* prints "completed wall_s cpu_s" and leaves the JSON it read in $json.
run_servesim() {
  local t
  t=$(timed "$servesim" run "$scenario" -q -j "$1" --json "$json")
  echo "$(field "$json" completed) $t"
}
run_baseline() {
  local t
  t=$(timed "$@" "${model[@]}")
  cp "$stdout_file" "$json"
  echo "$(field "$json" completed) $t"
}
run_simpy() {
  local t
  t=$(timed "$py" "$here/mmc_simpy.py" --replications "$simpy_reps")
  cp "$stdout_file" "$json"
  echo "$(field "$json" completed) $t"
}

# servesim's JSON: the mean sojourn time (end-to-end latency) and its 95% half-width, in seconds.
servesim_sojourn() {
  "$py" - "$json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["latency_ms"]
lo, hi = m["mean_ci95"]
print(m["mean"] / 1000, (hi - lo) / 2000)
PY
}

cores=$(nproc)
sides=(servesim bare)
[[ -n "$simgrid" ]] && sides+=(simgrid)
sides+=(simpy)
declare -A rate_w rate_c mean half
declare -a r_all
for ((i = 0; i < repeats; i++)); do
  line="round $((i + 1)):"
  for side in "${sides[@]}"; do
    case "$side" in
      servesim) read -r c w u < <(run_servesim 1); read -r m h < <(servesim_sojourn); mean[servesim]=$m; half[servesim]=$h ;;
      bare) read -r c w u < <(run_baseline "$bench_dir/mm4_bare") ;;
      simgrid) read -r c w u < <(run_baseline "$simgrid" --log=root.thresh:warning) ;;
      simpy) read -r c w u < <(run_simpy) ;;
    esac
    if [[ "$side" == bare || "$side" == simgrid ]]; then
      mean[$side]=$(field "$json" mean_sojourn_s); half[$side]=$(field "$json" mean_sojourn_ci95_s)
    fi
    rate_w[$side]+="$(div "$c" "$w") "; rate_c[$side]+="$(div "$c" "$u") "
    line+=$(printf ' %s %d in %.3f s (%.3f cpu) |' "$side" "$c" "$w" "$u")
  done
  read -r ca wa _ < <(run_servesim 0)
  r_all+=("$(div "$ca" "$wa")")
  echo "$line servesim -j $cores: $(printf '%.3f' "$wa") s"
done

# per-round ratios servesim / side (wall and CPU), from the space-separated lists above
ratios() {
  paste <(tr ' ' '\n' <<<"${2}" | sed '/^$/d') <(tr ' ' '\n' <<<"${1}" | sed '/^$/d') |
    awk '{printf "%.6g\n", $1 / $2}'
}
label() {
  case "$1" in
    servesim) echo "servesim -j 1 (full CLI path)" ;;
    bare) echo "bare C++ loop (mm4_bare)" ;;
    simgrid) echo "SimGrid $(pkg-config --modversion simgrid 2>/dev/null || echo '?') S4U (mm4_simgrid)" ;;
    simpy) echo "SimPy $("$py" -c 'import simpy; print(simpy.__version__)')" ;;
  esac
}
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {ok = (op == "le") ? v <= t : v >= t; print ok ? "met" : "missed"}'; }

echo
echo "M/M/4 (rate ${rate}/s, ${servers} x exp $(awk -v m="$mean_service" 'BEGIN {print m * 1000}') ms, ${duration} s incl. ${warmup} s warm-up; $replications replications, SimPy $simpy_reps), $repeats rounds, $(uptime | sed 's/.*load/load/'):"
printf '  %-36s %17s %17s %26s %26s\n' "" "customers/wall-s" "customers/cpu-s" "servesim/it (wall)" "servesim/it (cpu)"
declare -A med_ratio med_cratio
for side in "${sides[@]}"; do
  mw=$(median_of "${rate_w[$side]}"); mc=$(median_of "${rate_c[$side]}")
  if [[ "$side" == servesim ]]; then
    printf '  %-36s %17.0f %17.0f %26s %26s\n' "$(label "$side")" "$mw" "$mc" "-" "-"
    continue
  fi
  mapfile -t rw < <(ratios "${rate_w[$side]}" "${rate_w[servesim]}")
  mapfile -t rc < <(ratios "${rate_c[$side]}" "${rate_c[servesim]}")
  med_ratio[$side]=$(median "${rw[@]}"); med_cratio[$side]=$(median "${rc[@]}")
  printf '  %-36s %17.0f %17.0f %26s %26s\n' "$(label "$side")" "$mw" "$mc" \
    "$(printf '%.3gx %s' "${med_ratio[$side]}" "$(spread "${rw[@]}")")" \
    "$(printf '%.3gx %s' "${med_cratio[$side]}" "$(spread "${rc[@]}")")"
done
printf '  %-36s %17.0f\n' "servesim -j $cores (all cores)" "$(median "${r_all[@]}")"

echo
echo "Targets (issue 19), by wall time (CPU time in brackets):"
bare_slow=$(div 1 "${med_ratio[bare]}"); bare_slow_c=$(div 1 "${med_cratio[bare]}")
printf '  bare loop / servesim = %.2fx (%.2fx): within 1.5x: %s\n' "$bare_slow" "$bare_slow_c" "$(verdict "$bare_slow" 1.5 le)"
if [[ -n "$simgrid" ]]; then
  printf '  servesim / SimGrid = %.1fx (%.1fx): at least 15x: %s\n' "${med_ratio[simgrid]}" "${med_cratio[simgrid]}" "$(verdict "${med_ratio[simgrid]}" 15 ge)"
fi
printf '  servesim / SimPy = %.1fx (%.1fx): at least 50x: %s\n' "${med_ratio[simpy]}" "${med_cratio[simpy]}" "$(verdict "${med_ratio[simpy]}" 50 ge)"

echo
erlang=$(awk -v l="$rate" -v c="$servers" -v s="$mean_service" 'BEGIN {
  a = l * s; rho = a / c; term = 1; sum = 0
  for (k = 0; k < c; k++) { sum += term; term *= a / (k + 1) }  # term ends as a^c / c!
  pw = term / (1 - rho) / (sum + term / (1 - rho))
  printf "%.6f", s + pw / (c / s - l) }')
echo "Same system? Mean sojourn time (last round), 95% CI across replications; M/M/$servers (Erlang C): $erlang s"
cmp_sides=(servesim bare)
[[ -n "$simgrid" ]] && cmp_sides+=(simgrid)
for side in "${cmp_sides[@]}"; do
  awk -v n="$(label "$side")" -v m="${mean[$side]}" -v h="${half[$side]}" -v e="$erlang" 'BEGIN {
    printf "  %-36s %.6f +- %.6f s  (Erlang C %s the interval)\n", n, m, h, (m - h <= e && e <= m + h) ? "inside" : "OUTSIDE" }'
done
for side in "${cmp_sides[@]:1}"; do
  awk -v n="$side" -v a="${mean[servesim]}" -v ha="${half[servesim]}" -v b="${mean[$side]}" -v hb="${half[$side]}" 'BEGIN {
    d = a - b; lim = sqrt(ha * ha + hb * hb)
    printf "  servesim - %s: %+.6f s, |difference| %s sqrt(h1^2+h2^2) = %.6f: %s\n", n, d, (d < lim && -d < lim) ? "<" : ">=", lim, (d < lim && -d < lim) ? "agree" : "DIFFER" }'
done

# One JSON line for scripts, and the line mmc_vs_simpy.sh used to print.
m1=$(median_of "${rate_w[servesim]}"); mpy=$(median_of "${rate_w[simpy]}"); mb=$(median_of "${rate_w[bare]}")
msg=null; rsg=null
if [[ -n "$simgrid" ]]; then msg=$(median_of "${rate_w[simgrid]}"); rsg=${med_ratio[simgrid]}; fi
printf '{"bench":"mm4_baselines","repeats":%d,"servesim_j1_customers_per_s":%.0f,"bare_customers_per_s":%.0f,"simgrid_customers_per_s":%s,"simpy_customers_per_s":%.0f,"ratio_servesim_over_bare":%.3f,"ratio_servesim_over_simgrid":%s,"ratio_servesim_over_simpy":%.2f}\n' \
  "$repeats" "$m1" "$mb" "$msg" "$mpy" "${med_ratio[bare]}" "$rsg" "${med_ratio[simpy]}"
printf '{"bench":"mmc_vs_simpy","repeats":%d,"servesim_j1_customers_per_s":%.0f,"simpy_customers_per_s":%.0f,"servesim_jall_customers_per_s":%.0f,"cores":%d,"ratio_j1_over_simpy":%.2f,"ratio_j1_over_simpy_cpu":%.2f}\n' \
  "$repeats" "$m1" "$mpy" "$(median "${r_all[@]}")" "$cores" "${med_ratio[simpy]}" "${med_cratio[simpy]}"
