#!/usr/bin/env bash
# A sweep across MPI ranks writes the same bytes as one process: `mpirun -n 2 servesim sweep` and
# `mpirun -n 1 servesim sweep` against `servesim sweep -j 1`, CSV and JSON lines compared; and a
# bad point under mpirun, first or later (parsed by whichever rank runs it), is reported once, with
# a non-zero status, with no rank left waiting.
#   sweep_mpi.sh SERVESIM [MPIEXEC]      (CTest runs it when built with SERVESIM_MPI)
set -euo pipefail
servesim=$1
mpiexec=${2:-mpirun}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# OpenMPI on one machine, in a container, maybe as root: start the ranks here without ssh, let
# them share the cores unbound, and copy through shared memory without the cross-process reads
# (CMA) that containers often forbid.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_plm=isolated
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under AddressSanitizer (.ci/run), OpenMPI leaves allocations behind at MPI_Finalize, many in
# plugins it has unloaded by then, which no suppression can name: no leak check under mpirun (the
# single-process sweep here and every other test still check servesim's own code for leaks).
mpi_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# 3 x 4 = 12 small points of an M/M/c queue (tests/app/test_sweep.cpp's scenario).
cat >"$dir/s.yaml" <<'EOF'
seed: 5
run: {duration: 50s, warmup: 5s, replications: 2}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline: [{name: serve, device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}]
EOF
sweep=(sweep "$dir/s.yaml" --grid workload.rate=40/s:80/s:20/s
       --grid pipeline.serve.instances=4,5,6,7 -j 1 -q)

"$servesim" "${sweep[@]}" --out "$dir/one.csv"
mpirun=(env ASAN_OPTIONS="$mpi_asan" "$mpiexec" --allow-run-as-root --oversubscribe)
"${mpirun[@]}" -n 2 "$servesim" "${sweep[@]}" --out "$dir/two.csv"
"${mpirun[@]}" -n 1 "$servesim" "${sweep[@]}" --out "$dir/alone.csv"

status=0
for f in two alone; do
  for ext in csv jsonl; do
    if cmp "$dir/one.$ext" "$dir/$f.$ext"; then
      echo "ok: $f.$ext is byte-identical to the -j 1 sweep's"
    else
      status=1
    fi
  done
done
[ "$(grep -c '^{"point":' "$dir/two.jsonl")" -eq 12 ] || { echo "expected 12 points" >&2; status=1; }

# A bad point: every rank stops (no hang), the exit status is non-zero, the error is told once.
# First every point is bad (rank 0 meets it before the sweep starts), then only the third one,
# which either rank may meet while simulating: rank 0 reports it as a sweep in one process does.
bad_sweep() {  # name expected-error servesim-arguments...
  local name=$1 expected=$2
  shift 2
  if timeout 60 "${mpirun[@]}" -n 2 "$servesim" "$@" --out "$dir/$name.csv" 2>"$dir/$name.err"; then
    echo "$name: a bad point under mpirun succeeded" >&2
    status=1
  elif [ "$(grep -cF "$expected" "$dir/$name.err")" -ne 1 ]; then
    echo "$name: the error was not told exactly once:" >&2
    cat "$dir/$name.err" >&2
    status=1
  else
    echo "ok: $name stops every rank and is reported once"
  fi
}
bad_sweep bad "error: 'node.cpu.cores'" "${sweep[@]}" --set node.cpu.cores=0
bad_sweep bad-later "at sweep point 2: workload.rate=40/s pipeline.serve.instances=0" \
  sweep "$dir/s.yaml" --grid workload.rate=40/s --grid pipeline.serve.instances=4,5,0,6 -j 1 -q
exit $status
