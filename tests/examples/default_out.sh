#!/usr/bin/env bash
# An example run without OUT writes to build/examples/STUDY and leaves the study's committed
# expected results as they were (before: it overwrote them).
# usage: default_out.sh SERVESIM EXAMPLE_DIR
set -euo pipefail
servesim="$1"
dir="$2"
root="$(cd "$dir/../.." && pwd)"
rm -rf "$root/build/examples/$(basename "$dir")"
# Contents and modification times (ns): rewriting a file with the same bytes is caught too.
before="$(cd "$dir" && sha256sum -- * && stat -c '%n %y' -- *)"
env -u OUT SERVESIM="$servesim" bash "$dir/run.sh" >/dev/null 2>&1
after="$(cd "$dir" && sha256sum -- * && stat -c '%n %y' -- *)"
[[ $before == "$after" ]] || { echo "$(basename "$dir")/run.sh without OUT changed its committed files"; exit 1; }
[[ -f $root/build/examples/$(basename "$dir")/results.csv ]] ||
  { echo "$(basename "$dir")/run.sh without OUT wrote no build/examples/$(basename "$dir")/results.csv"; exit 1; }
echo "$(basename "$dir"): without OUT, written to build/examples, the committed files untouched"
