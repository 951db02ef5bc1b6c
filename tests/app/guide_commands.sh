#!/usr/bin/env bash
# Runs every command of docs/guide.md's ```sh blocks as written, with the built servesim for
# `servesim`, in a scratch directory, each shortened to 1 s of simulated time (--set run.*) where
# the verb simulates. Skipped: lines of the real server (perf_analyzer) and of an MPI launch
# (mpirun, the lines it continues), which need what CI does not have. `compare` reads the
# measured.csv perf_analyzer would write; a servesim CSV at the same load stands in for it.
#
#   bash tests/app/guide_commands.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
servesim="$build/servesim"
guide="$src/docs/guide.md"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
brief=(--set run.duration=1s --set run.warmup=0.2s --set run.replications=1)

# perf_analyzer's measured.csv, for the compare example.
"$servesim" run -q --set workload.concurrency=256 "${brief[@]}" --csv measured.csv

n=0
in_block=0
continued=0
while IFS= read -r line; do
  if [[ $line == '```sh' ]]; then in_block=1; continue; fi
  if [[ $line == '```'* ]]; then in_block=0; continue; fi
  ((in_block)) || continue
  if ((continued)); then [[ $line == *\\ ]] || continued=0; continue; fi
  if [[ $line == mpirun* || $line == perf_analyzer* ]]; then
    [[ $line == *\\ ]] && continued=1
    continue
  fi
  [[ $line == servesim\ * ]] || continue
  cmd=${line%%#*} # the comment after a command
  # Split as the shell would, quotes included (--set 'workload={...}'): the guide is ours.
  eval "words=($cmd)"
  words[0]=$servesim
  case ${words[1]} in
    run | sweep | plan) words+=("${brief[@]}") ;;
  esac
  echo "guide: ${cmd}" >&2
  if ! "${words[@]}" >"out.$n" 2>&1; then
    echo "FAILED: $cmd" >&2
    cat "out.$n" >&2
    exit 1
  fi
  n=$((n + 1))
done <"$guide"
((n >= 8)) || { echo "only $n commands found in $guide" >&2; exit 1; }
echo "ran $n commands of docs/guide.md" >&2
