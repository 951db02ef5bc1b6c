#!/usr/bin/env bash
# cmake --install puts a servesim that finds its configs beside itself: installed to a temporary
# prefix, then moved elsewhere (so neither the build tree nor the install path is where it
# runs), run from another directory with SERVESIM_CONFIG_DIR unset, the built-in default runs;
# calib's resize opens the installed libservesim_opencv.so (lib/servesim, found relative to the
# binary, not in the build tree); the man page is in share/man/man1; nothing in the binary names the source tree's configs;
# without its share/ it says what to do (exit 2). With PYTHON (the build has the Python module),
# the installed module, imported from PREFIX/lib/python3/dist-packages, runs the default too.
# usage: install_test.sh BUILD_DIR SOURCE_DIR [PYTHON]
set -euo pipefail
build="$1"
source_dir="$2"
python="${3:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
mv "$tmp/prefix" "$tmp/moved"
bin="$tmp/moved/bin/servesim"
[[ -x $bin && -f $tmp/moved/share/servesim/configs/scenarios/paper-vit-base-gpu.yaml ]] ||
  { echo "install: no bin/servesim or share/servesim/configs under the prefix"; exit 1; }
[[ -f $tmp/moved/share/doc/servesim/model.md ]] || { echo "install: no docs"; exit 1; }
[[ -s $tmp/moved/share/man/man1/servesim.1 ]] || { echo "install: no man page in share/man/man1"; exit 1; }
# (Its configs/, that is: a build with debug information names the source files, harmlessly.)
if grep -qF "$source_dir/configs" "$bin"; then
  echo "install: the binary names the source tree's configs ($source_dir/configs)"; exit 1
fi
cd "$tmp"
env -u SERVESIM_CONFIG_DIR "$bin" run -q --json out.json \
  --set 'run={duration: 1s, warmup: 200ms, replications: 1}'
grep -q '"throughput' out.json || { echo "install: the default scenario wrote no throughput"; exit 1; }
# The header names the installed configs, not another checkout's.
env -u SERVESIM_CONFIG_DIR "$bin" run --set 'run={duration: 1s, warmup: 200ms, replications: 1}' |
  grep -qF "servesim: $tmp/moved/share/servesim/configs/scenarios/paper-vit-base-gpu.yaml --set" ||
  { echo "install: the header does not name the installed scenario and the override"; exit 1; }
plugin="$tmp/moved/lib/servesim/libservesim_opencv.so"
[[ -f $plugin ]] || { echo "install: no $plugin"; exit 1; }
LD_DEBUG=files "$bin" calib bench --quick --repeats 1 --warmup 0 -q --out bench 2>ld.txt
grep -qF "file=$plugin " ld.txt ||
  { echo "install: calib bench did not open $plugin:"; grep servesim_opencv ld.txt; exit 1; }
if [[ -n $python ]]; then
  ls "$tmp"/moved/lib/python3/dist-packages/servesim*.so >/dev/null ||
    { echo "install: no Python module in lib/python3/dist-packages"; exit 1; }
  env -u SERVESIM_CONFIG_DIR PYTHONPATH="$tmp/moved/lib/python3/dist-packages" "$python" -c '
import servesim
r = servesim.run(set={"run": "{duration: 1s, warmup: 200ms, replications: 1}"})
assert r["throughput_rps"] > 0, r
' || { echo "install: the installed Python module did not run the default scenario"; exit 1; }
fi
# Without its configs: a clear error, exit 2.
rm -rf "$tmp/moved/share/servesim"
rc=0
env -u SERVESIM_CONFIG_DIR "$bin" run >err.txt 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q "SERVESIM_CONFIG_DIR" err.txt ||
  { echo "install: without configs, exit $rc:"; cat err.txt; exit 1; }
echo "install: the installed servesim runs its default scenario from anywhere"
