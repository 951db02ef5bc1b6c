#!/usr/bin/env bash
# clang-tidy over the sources of sim/, calib/, validate/ and python/ with the repository's
# .clang-tidy (the checks kept, those left out and why); fails on any finding. .ci/run calls it on
# setup.sh's Release build.
#   bash tests/tidy.sh [BUILD_DIR]   (default: $BUILD_DIR, else build)
# BUILD_DIR must be configured: its compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS, on in
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
root=$(pwd -P)
# The translation units of those modules: each source, or in a unity build (CMAKE_UNITY_BUILD, as
# setup.sh configures) each combined source of their targets, BUILD/<module>/.../unity_N_cxx.cxx,
# which includes up to eight sources. A unity unit is parsed and matched once for its eight, so
# clang-tidy takes several times less (docs/reliability.md); .clang-tidy's HeaderFilterRegex
# reports what it finds in the sources it includes as in any of our headers.
mapfile -t files < <(python3 - "$db" "$root" "$build" <<'PY'
import json, os, sys
db, root, build = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
modules = ("sim", "calib", "validate", "python")
seen = set()
for e in json.load(open(db)):
    path = os.path.realpath(os.path.join(e["directory"], e["file"]))
    module = os.path.relpath(os.path.realpath(e["directory"]), build).split("/")[0]
    if os.path.relpath(path, root) == "calib/infer_torch.cpp":
        continue  # libtorch 1.13's headers do not parse as C++20 with clang (calib/CMakeLists.txt)
    if os.path.relpath(path, root).split("/")[0] in modules:
        f = os.path.relpath(path, root)
    elif "/Unity/unity_" in path and module in modules:
        f = path
    else:
        continue
    if f not in seen:
        seen.add(f)
        print(f)
PY
)
((${#files[@]})) || { echo "tidy.sh: no sources of sim/, calib/, validate/, python/ in $db" >&2; exit 2; }
# The repository's .clang-tidy, named: clang-tidy would look for one above each file it reads,
# and a unity unit lies in the build directory, which may be outside the repository (its checks
# would silently be clang-tidy's defaults). A unity unit includes its sources, which
# bugprone-suspicious-include reports: off for those.
args=(--config-file="$root/.clang-tidy")
[[ ${files[*]} == */Unity/unity_* ]] && args+=(--checks=-bugprone-suspicious-include)
echo "tidy.sh: $tidy on ${#files[@]} files, $(nproc) at a time"
# -Wno-error: the build's -Werror (CI) must not turn Clang's own warnings, which differ from GCC's
# and are not what this checks, into errors; .clang-tidy's checks are errors by WarningsAsErrors.
# xargs exits 123 when any clang-tidy failed; the counts of warnings Clang prints are left out.
set +e
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 "$tidy" -p "$build" --quiet --extra-arg=-Wno-error ${args[@]+"${args[@]}"} 2>&1 |
  grep -v -E '^[0-9]+ warnings? (generated|treated as errors)\.$'
rc=${PIPESTATUS[1]}
set -e
if ((rc)); then
  echo "tidy.sh: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "tidy.sh: no findings"
