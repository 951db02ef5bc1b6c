#!/usr/bin/env bash
# Runs every libFuzzer target of a SERVESIM_FUZZ build for SECONDS each, as many at once as there
# are cores, on a copy of its committed seed corpus (tests/fuzz/corpus/TARGET, never written to). Fails if any
# target finds a crash, a leak, an input slower than 5 s or one using more than 1 GB, and prints
# the reproducer's path; rerun one with `BUILD_DIR/tests/fuzz/fuzz_TARGET REPRODUCER`.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]   (default: every target)
# Environment: FUZZ_JOBS, the targets fuzzed at once (default: the cores); FUZZ_WORK, the folder
# for corpora, logs and reproducers (default: a new one under $TMPDIR, removed when every target
# ran clean and kept otherwise).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if (($# < 2)) || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi
build=$1
seconds=$2
shift 2
targets=("$@")
((${#targets[@]})) || targets=(scenario result_json samples_csv image_csv)

work=${FUZZ_WORK:-}
keep=1
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/servesim-fuzz-run.XXXXXX")
  keep=0
fi
mkdir -p "$work"
# Reports name functions and lines when a symbolizer is installed (clang-14 brings one).
for s in llvm-symbolizer-14 llvm-symbolizer; do
  if command -v "$s" >/dev/null; then
    export ASAN_SYMBOLIZER_PATH UBSAN_SYMBOLIZER_PATH
    ASAN_SYMBOLIZER_PATH=$(command -v "$s")
    UBSAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH
    break
  fi
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

for t in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
    echo "run.sh: no $build/tests/fuzz/fuzz_$t (configure with -DSERVESIM_FUZZ=ON and build the servesim_fuzz target)" >&2
    exit 2
  fi
done

# One target: fuzz it, then print its summary, and its findings when it failed (status 1).
fuzz_one() {
  local t=$1 bin=$build/tests/fuzz/fuzz_$t dir=$work/$1 rc=0 found
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
  cp "$here/corpus/$t/"* "$dir/corpus/"
  local dict=()
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  local seeds
  seeds=$(find "$dir/corpus" -type f | wc -l)
  # The target's scratch files (tests/fuzz/fuzz_support.h) go to its own TMPDIR, so that a crash,
  # which skips their removal, leaves nothing outside $work.
  TMPDIR=$dir/tmp "$bin" "$dir/corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=5 \
    -rss_limit_mb=1024 -detect_leaks=1 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1 || rc=$?
  {
    echo "== fuzz_$t: ${seconds}s from $seeds seeds"
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$dir/log" | tr '\n' ' ' || true
    echo
  }
  found=$(find "$dir/artifacts" -type f)
  if ((rc != 0)) || [ -n "$found" ]; then
    {
      echo "fuzz_$t FAILED (exit $rc); its log: $dir/log"
      grep -E "ERROR: |SUMMARY: |runtime error|ALARM|out-of-memory|Test unit written" "$dir/log" \
        | head -20 || true
      for f in $found; do echo "  reproducer: $f (rerun: $bin $f)"; done
    } >&2
    return 1
  fi
}

# Each libFuzzer process runs on one core: FUZZ_JOBS targets at a time (default: the cores), each
# for its full SECONDS, so CI's two cores fuzz twice as long in the same wall time. Each target's
# summary prints when it ends.
jobs=${FUZZ_JOBS:-$(nproc)}
failed=()
pids=()
names=()
reap() {  # waits for the oldest running target
  if ! wait "${pids[0]}"; then failed+=("${names[0]}"); fi
  pids=("${pids[@]:1}")
  names=("${names[@]:1}")
}
for t in "${targets[@]}"; do
  ((${#pids[@]} < jobs)) || reap
  fuzz_one "$t" &
  pids+=($!)
  names+=("$t")
done
while ((${#pids[@]})); do reap; done

if ((${#failed[@]})); then
  echo "run.sh: ${failed[*]} found a crash, leak, timeout or out-of-memory; kept $work" >&2
  exit 1
fi
((keep)) || rm -rf "$work"
echo "run.sh: ${targets[*]} ran ${seconds}s each, clean"
