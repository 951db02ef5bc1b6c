#!/usr/bin/env bash
# Golden test: runs an example study into a scratch directory and requires the results.csv it
# writes (and the sensitivity.csv of its sensitivity.sh, where it has one) to equal the committed
# ones byte for byte (same configs and seeds, same output).
# usage: check_example.sh SERVESIM EXAMPLE_DIR
set -euo pipefail
servesim="$1"
dir="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
OUT="$out" SERVESIM="$servesim" bash "$dir/run.sh" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
if ! cmp -s "$out/results.csv" "$dir/results.csv"; then
  echo "$(basename "$dir"): results.csv differs from the committed expected results:"
  diff "$dir/results.csv" "$out/results.csv" | head -20
  echo "(if the model changed on purpose: OUT=$dir bash $dir/run.sh, and commit the new results)"
  exit 1
fi
# A study's input-uncertainty band (run.sh writes it where the study has one) is a golden too.
if [[ -f "$dir/band.csv" ]] && ! cmp -s "$out/band.csv" "$dir/band.csv"; then
  echo "$(basename "$dir"): band.csv differs from the committed expected results:"
  diff "$dir/band.csv" "$out/band.csv" | head -20
  exit 1
fi
# A study's sensitivity.sh (inputs halved and doubled) is a golden of its own.
if [[ -f "$dir/sensitivity.sh" ]]; then
  OUT="$out" SERVESIM="$servesim" bash "$dir/sensitivity.sh" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
  if ! cmp -s "$out/sensitivity.csv" "$dir/sensitivity.csv"; then
    echo "$(basename "$dir"): sensitivity.csv differs from the committed expected results:"
    diff "$dir/sensitivity.csv" "$out/sensitivity.csv" | head -20
    exit 1
  fi
fi
echo "$(basename "$dir"): results reproduced byte for byte"
