#!/usr/bin/env bash
# clang-tidy over the sources of sim/, calib/, validate/ and python/ with the repository's
# .clang-tidy (the checks kept, those left out and why); fails on any finding. .ci/run calls it on
# a Release build configured without CMAKE_UNITY_BUILD (build-tidy).
#   bash tests/tidy.sh [BUILD_DIR]   (default: $BUILD_DIR, else build)
# BUILD_DIR must be configured (not built), as a build of one source per compiler run: its compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS, on in
# the top-level CMakeLists.txt) says how each file compiles, and its include/ folder holds the
# links through which modules see each other's headers. Headers are checked as the sources that
# include them are, so each finding in a header shows once per source; tests/ is not checked.
# A finding that is wrong: `// NOLINT(check-name): why` on its line, never a bare NOLINT.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-${BUILD_DIR:-build}}
tidy=${CLANG_TIDY:-clang-tidy-14}

if ! command -v "$tidy" >/dev/null; then
  echo "tidy.sh: $tidy not found (Debian: clang-tidy-14)" >&2
  exit 2
fi
db=$build/compile_commands.json
if [ ! -f "$db" ]; then
  echo "tidy.sh: no $db: configure $build first (bash setup.sh build)" >&2
  exit 2
fi
# A unity build's database names the combined sources (build/.../Unity/unity_0_cxx.cxx), not
# the files, so most would go unchecked.
if grep -q '/Unity/unity_' "$db"; then
  echo "tidy.sh: $build is a unity build (CMAKE_UNITY_BUILD, as setup.sh configures): configure" \
    "one without it, cmake -S . -B build-tidy -DCMAKE_UNITY_BUILD=OFF, and pass build-tidy" >&2
  exit 2
fi
root=$(pwd -P)
mapfile -t files < <(python3 - "$db" "$root" <<'PY'
import json, os, sys
db, root = sys.argv[1], sys.argv[2]
seen = set()
for e in json.load(open(db)):
    f = os.path.relpath(os.path.realpath(os.path.join(e["directory"], e["file"])), root)
    if f.split("/")[0] in ("sim", "calib", "validate", "python") and f not in seen:
        seen.add(f)
        print(f)
PY
)
((${#files[@]})) || { echo "tidy.sh: no sources of sim/, calib/, validate/, python/ in $db" >&2; exit 2; }
echo "tidy.sh: $tidy on ${#files[@]} files, $(nproc) at a time"
# -Wno-error: the build's -Werror (CI) must not turn Clang's own warnings, which differ from GCC's
# and are not what this checks, into errors; .clang-tidy's checks are errors by WarningsAsErrors.
# xargs exits 123 when any clang-tidy failed; the counts of warnings Clang prints are left out.
set +e
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 "$tidy" -p "$build" --quiet --extra-arg=-Wno-error 2>&1 |
  grep -v -E '^[0-9]+ warnings? (generated|treated as errors)\.$'
rc=${PIPESTATUS[1]}
set -e
if ((rc)); then
  echo "tidy.sh: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "tidy.sh: no findings"
