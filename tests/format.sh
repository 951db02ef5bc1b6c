#!/usr/bin/env bash
# Fails when a tracked C++ file is not as clang-format-14 (.clang-format) would write it, and
# lists the files; `tests/format.sh --fix` rewrites them in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
# One clang-format process for every file (one per file took 30 s of CI); each finding names its
# file as "FILE:LINE:COL: error: code should be clang-formatted".
rc=0
out=$(clang-format-14 --dry-run --Werror "${files[@]}" 2>&1) || rc=$?
mapfile -t bad < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: error: code should be clang-formatted' <<<"$out" |
  cut -d: -f1 | sort -u)
if ((rc != 0 && ${#bad[@]} == 0)); then
  printf 'format: clang-format-14 failed (exit %d):\n%s\n' "$rc" "$out" >&2
  exit 1
fi
if ((${#bad[@]})); then
  printf 'not clang-formatted (tests/format.sh --fix rewrites them):\n' >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files as clang-format-14 writes them"
