#!/usr/bin/env bash
# servesim set-up: installs the Debian 12 packages that are missing, builds, then runs or tests.
#   bash setup.sh run [ARGS...]  build, then `servesim run ARGS` (no ARGS: the built-in default scenario)
#   bash setup.sh test           build, then run every test (ctest)
#   bash setup.sh build          install what is missing and build only
# Environment: BUILD_DIR (default build), CI=true turns compiler warnings into errors, UNITY=OFF
# builds each source on its own (see below).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PACKAGES=(
  cmake g++ make                                   # toolchain
  libboost-dev libboost-random-dev libboost-math-dev  # Boost (Math: Student-t quantiles)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev  # config, JSON output, command line
  catch2                                           # tests (Catch2 v2)
  python3-simpy3                                   # tests/bench: the SimPy 3 baseline
  gnuplot-nox jq                                   # examples: plots, reading the JSON results
  libeigen3-dev libturbojpeg0-dev libopencv-imgproc-dev  # calib: fitting, JPEG decode, resize
  libopencv-dnn-dev                                # calib bench infer: ResNet-50 in OpenCV DNN
  zlib1g-dev                                       # calib: the kernel's /proc/config.gz
  redis-server libhiredis-dev                      # calib bench broker: a real Redis, timed
  libboost-mpi-dev libopenmpi-dev openmpi-bin     # sweeps across machines (mpirun; SERVESIM_MPI)
  clang-14 libclang-rt-14-dev llvm-14             # .ci/run's fuzz stage: libFuzzer, llvm-symbolizer
  clang-tidy-14 clang-format-14                    # .ci/run's tidy and format stages (tests/)
  python3-dev pybind11-dev                         # the Python module (python/, docs/python.md)
  python3-matplotlib                               # examples/python-sweep: its plot
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
WERROR=OFF
[ "${CI:-}" = "true" ] && WERROR=ON
# A unity build (CMake compiles the sources of a target eight at a time, as one): each header is
# parsed once per eight sources, 1.4x less compiler time for this one-shot build from scratch
# (docs/reliability.md, "Build time"). For a developer's edit-and-rebuild, configure a build
# directory without it (CONTRIBUTING.md): a change then recompiles one source, not eight.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DSERVESIM_WERROR="$WERROR" \
  -DCMAKE_UNITY_BUILD="${UNITY:-ON}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"

case "${1:-build}" in
  run)
    shift
    if (($#)); then exec "$BUILD_DIR/servesim" run "$@"; else exec "$BUILD_DIR/servesim" run; fi ;;
  test)
    exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" ;;
  build) ;;
  *) echo "usage: bash setup.sh [run [ARGS...]|test|build]" >&2; exit 2 ;;
esac
